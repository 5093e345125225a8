"""Accounts and API tokens (三员分立)."""

from __future__ import annotations

from dangan.api.schemas import ApiModel
from pydantic import Field


class PasswordChanged(ApiModel):
    changed: bool


class UserOut(ApiModel):
    username: str
    display_name: str = Field(description="姓名")
    roles: str = Field(description="角色代码，以逗号分隔")
    created_at: str
    disabled: int = Field(description="1 已停用 | 0 正常")
    password_changed_at: str | None = Field(description="上次修改密码的时间")
    must_change_password: int = Field(description="1 下次登录须修改密码")


class UserList(ApiModel):
    users: list[UserOut]


class UserRoles(ApiModel):
    username: str
    roles: list[str] = Field(description="角色代码")


class UserDisabled(ApiModel):
    username: str
    disabled: bool = Field(description="是否已停用")


class PasswordReset(ApiModel):
    username: str
    password: str | None = Field(
        None, description="系统生成的新密码（仅在未指定密码时返回，只显示这一次）"
    )


class UserUnlocked(ApiModel):
    username: str
    unlocked: bool


class TokenOut(ApiModel):
    id: int
    name: str = Field(description="令牌名称（调用方系统）")
    role: str = Field(description="角色代码")
    created_by: str
    created_at: str
    revoked_at: str | None = Field(description="吊销时间；有效令牌为空")


class TokenList(ApiModel):
    tokens: list[TokenOut]


class TokenIssued(ApiModel):
    id: int
    token: str = Field(description="令牌本身（只显示这一次）")
    role: str


class TokenRevoked(ApiModel):
    id: int
    revoked: bool
