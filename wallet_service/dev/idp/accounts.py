"""The embedded provider's demo accounts: the demo officials and citizens of `wallet_service.dev.demo`
(password `demo`), plus one level-1 citizen account to show that such accounts are refused."""
from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .. import demo

DEMO_PASSWORD = "demo"


@dataclass(frozen=True)
class DevAccount:
    """One account that can log in at the embedded provider."""

    username: str
    """Login name, also the `sub` the provider issues."""
    kind: str
    """`citizen` or `official`."""
    full_name: str
    """Full name with diacritics."""
    personal_id: str | None = None
    """A citizen's 12-digit ID number."""
    birth_date: dt.date | None = None
    """A citizen's date of birth."""
    account_level: int | None = None
    """A citizen's e-ID account level (1 or 2)."""
    agency_code: str | None = None
    """An official's agency."""
    roles: tuple[str, ...] = ()
    """An official's roles."""

    def get_user_id(self) -> str:  # Authlib's user interface
        return self.username

    @property
    def description(self) -> str:
        if self.kind == "official":
            return f"cán bộ · {self.agency_code} · {', '.join(self.roles)}"
        return f"công dân · CCCD {self.personal_id} · tài khoản định danh mức {self.account_level}"

    def claims(self) -> dict:
        """Everything this provider says about the account: standard OIDC claims, the national
        e-ID's names (so both claim profiles can be used against it) and officials' agency/roles."""
        claims: dict = {"sub": self.username, "name": self.full_name, "preferred_username": self.username}
        if self.kind == "official":
            claims.update(agency_code=self.agency_code, roles=list(self.roles))
            return claims
        claims.update(
            personal_id=self.personal_id,
            birthdate=self.birth_date.isoformat(),
            citizenPid=self.personal_id,
            fullName=self.full_name,
            birthDate=self.birth_date.strftime("%Y%m%d"),
            accountLevel=self.account_level,
            # made-up contacts for the arrival notices (example.com is reserved for examples)
            email=f"{self.username}@example.com",
            phone_number=f"+849000{self.personal_id[-5:]}",
        )
        return claims


LEVEL1_CITIZEN = DevAccount(
    "citizen4", "citizen", "Đỗ Văn Hùng", personal_id="022092003456", birth_date=dt.date(1992, 5, 15), account_level=1
)

ACCOUNTS: Mapping[str, DevAccount] = MappingProxyType(
    {
        account.username: account
        for account in (
            *(DevAccount(o.username, "official", o.full_name, agency_code=o.agency_code, roles=o.roles) for o in demo.OFFICIALS),
            *(
                DevAccount(c.username, "citizen", c.full_name, personal_id=c.personal_id, birth_date=c.birth_date, account_level=2)
                for c in demo.CITIZENS
            ),
            LEVEL1_CITIZEN,
        )
    }
)


def authenticate(username: str, password: str) -> DevAccount | None:
    account = ACCOUNTS.get(username)
    if account is None or not hmac.compare_digest(password.encode(), DEMO_PASSWORD.encode()):
        return None
    return account
