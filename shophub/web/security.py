"""Security headers added to every response."""

from urllib.parse import urlsplit

from flask import Flask, Response

# Our own origin only, plus the Stripe origins the checkout's Payment Element needs.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self' https://js.stripe.com",
    "style-src 'self'",
    "img-src 'self' data: https://*.stripe.com",
    "font-src 'self'",
    "connect-src 'self' https://api.stripe.com",
    "frame-src https://js.stripe.com https://hooks.stripe.com",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "object-src 'none'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(self)",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def with_media_origin(policy: str, media_url: str | None) -> str:
    """The policy with MEDIA_URL's origin (pictures from a CDN) allowed as an image source."""
    parts = urlsplit(media_url or "")
    if not (parts.scheme and parts.netloc):
        return policy
    return policy.replace("img-src 'self'", f"img-src 'self' {parts.scheme}://{parts.netloc}", 1)


def init_app(app: Flask) -> None:
    """Add the security headers to every response; HSTS only when served over HTTPS."""
    headers = dict(SECURITY_HEADERS)
    headers["Content-Security-Policy"] = with_media_origin(CONTENT_SECURITY_POLICY,
                                                           app.config.get("MEDIA_URL"))
    if app.config.get("PREFERRED_URL_SCHEME") == "https":
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
