"""Random tokens for cookies and links: 256 bits, only their SHA-256 is ever stored."""

import base64
import hashlib
import hmac
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


def pkce_challenge(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier (RFC 7636): unpadded base64url of its SHA-256."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
