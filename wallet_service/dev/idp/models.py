"""The embedded provider's authorization codes and access tokens (development only), on Authlib's
SQLAlchemy mixins so the grant's bookkeeping is Authlib's own."""
from __future__ import annotations

from authlib.integrations.sqla_oauth2 import OAuth2AuthorizationCodeMixin, OAuth2TokenMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ...models import db


class DevOidcAuthorizationCode(db.Model, OAuth2AuthorizationCodeMixin):
    __tablename__ = "dev_oidc_authorization_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))


class DevOidcToken(db.Model, OAuth2TokenMixin):
    __tablename__ = "dev_oidc_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
