"""The token-signing agent: runs on the official's PC, holds their PKCS#11 token open with the
PIN typed into it, and signs digests for the signing service's page over HTTP on loopback.

The official's key never leaves their token and their PIN never leaves this process, which is
what makes the signature one made under their sole control. ``run`` is what
``wallet-service agent`` calls.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from werkzeug.serving import make_server

from .console import confirm_on_terminal, read_pin
from .guard import LOOPBACK, OriginGuard, check_bind_address, check_origin
from .server import AgentApp
from .token import AgentStartError, TokenOptions, TokenSigner

__all__ = ["AgentConfig", "AgentStartError", "run"]


@dataclass(frozen=True)
class AgentConfig:
    token: TokenOptions
    origin: str
    port: int = 8765
    host: str = LOOPBACK
    confirm: bool = False
    pin_from_stdin: bool = False


def run(config: AgentConfig) -> None:
    """Check the options, bind, ask for the PIN, open the token, then serve until interrupted.
    Raises AgentStartError with a message for the terminal when it cannot start."""
    try:
        check_bind_address(config.host)
        check_origin(config.origin)
        server = make_server(config.host, config.port, app=None)
    except (ValueError, OSError) as e:
        raise AgentStartError(str(e)) from None
    try:
        try:
            pin = read_pin(config.pin_from_stdin)
        except (ValueError, EOFError, KeyboardInterrupt) as e:
            raise AgentStartError(str(e) or "Chưa nhập mã PIN. / No PIN was given.") from None
        signer = TokenSigner.open(config.token, pin)
        port = server.server_port
        server.app = AgentApp(signer, OriginGuard(config.origin, port),
                              confirm_on_terminal if config.confirm else None)
        print(f"Tác nhân ký đang chạy tại http://{LOOPBACK}:{port} cho {config.origin} "
              f"/ Agent listening on http://{LOOPBACK}:{port} for {config.origin}", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sys.stdout.flush()
