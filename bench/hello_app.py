"""The ceilings the API is compared with: a raw ASGI app and a one-route FastAPI app, both answering a tiny JSON."""

from fastapi import FastAPI

BODY = b'"hello"'


async def asgi_app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": BODY})


fastapi_app = FastAPI()


@fastapi_app.get("/")
def hello() -> str:
    return "hello"
