"""Running: auth.test, then the HTTP events endpoint on SLACK_PORT or a Socket Mode connection."""

from __future__ import annotations

import logging

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import ConfigError
from bot.pipeline.deliver import RateLimits
from bot.platforms.slack.commands import PLATFORM, build_slack_app
from bot.platforms.slack.render import TEXT_LIMIT, clip, escape
from bot.platforms.slack.sender import SlackSender
from handlers.types import Services

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# chat.postMessage allows about one message per second per channel, with short bursts
# (https://docs.slack.dev/apis/web-api/rate-limits); Slack has no per-group minute limit as Telegram does.
RATE_LIMITS = RateLimits(per_chat_interval=1.0, group_per_minute=60, global_per_second=30)


def events_endpoint(app: AsyncApp) -> web.Application:
    """The aiohttp app serving ``/slack/events``; bolt verifies each request's signature (401 otherwise)."""

    async def handle(request: web.Request) -> web.Response:
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        # slack_sdk's SignatureVerifier raises ValueError on a non-numeric timestamp: answer 401, not 500.
        if not (timestamp.isascii() and timestamp.isdigit()):
            return web.json_response({"error": "invalid request"}, status=401)
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post(EVENTS_PATH, handle)
    return web_app


class SlackPlatform:
    """Checks the token, then serves the events endpoint over HTTP (or Socket Mode); exposes the sender."""

    name = PLATFORM
    rate_limits = RATE_LIMITS

    def __init__(
        self,
        services: Services,
        token: str,
        *,
        signing_secret: str | None = None,
        app_token: str | None = None,
        port: int = 3000,
        host: str = "0.0.0.0",
        api_url: str | None = None,
    ) -> None:
        if not app_token and not signing_secret:
            raise ConfigError(
                "Slack needs SLACK_SIGNING_SECRET to verify requests (or SLACK_APP_TOKEN for Socket Mode)"
            )
        self.client = AsyncWebClient(token=token, base_url=api_url or AsyncWebClient.BASE_URL)
        self.app = build_slack_app(services, self.client, signing_secret)
        # Its own client: slack_sdk's default handler resends a post when the connection drops, before
        # anyone could check whether Slack had accepted it.
        self.sender = SlackSender(AsyncWebClient(token=token, base_url=self.client.base_url, retry_handlers=[]))
        self.app_token = app_token
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None

    async def start(self) -> None:
        """auth.test (a bad token fails here, clearly), then listen on SLACK_PORT or connect Socket Mode."""
        try:
            auth = await self.client.auth_test()
        except SlackApiError as error:
            raise ConfigError(
                f"Slack refused SLACK_BOT_TOKEN ({error.response.get('error')}); use the app's Bot User OAuth Token"
            ) from error
        except (TimeoutError, aiohttp.ClientError) as error:
            raise ConfigError(f"cannot reach the Slack Web API at {self.client.base_url}: {error}") from error
        log.info("Slack: signed in as %s in %s", auth.get("user"), auth.get("team"))
        if self.app_token:
            await self._connect_socket_mode(self.app_token)
            return
        self._runner = web.AppRunner(events_endpoint(self.app), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            self.port = self._runner.addresses[0][1]
        log.info("Slack events endpoint on %s:%d%s", self.host, self.port, EVENTS_PATH)

    async def _connect_socket_mode(self, app_token: str) -> None:
        handler = AsyncSocketModeHandler(self.app, app_token)
        # The client's connect() retries a refused app token forever; asking for the URL first fails fast.
        try:
            handler.client.wss_uri = await handler.client.issue_new_wss_url()
        except SlackApiError as error:
            await handler.close_async()  # type: ignore[no-untyped-call]
            raise ConfigError(
                f"Slack refused SLACK_APP_TOKEN ({error.response.get('error')}); "
                "use an app-level token (xapp-…) with the connections:write scope"
            ) from error
        self._socket = handler
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("Slack: connected in Socket Mode")

    async def tell(self, user_id: str, text: str) -> None:
        """A private notice: posting to a user id opens the app's direct message with that user."""
        await self.client.chat_postMessage(channel=user_id, text=clip(escape(text), TEXT_LIMIT), unfurl_links=False)

    async def stop(self) -> None:
        """Stop serving and disconnect."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        if self._runner is not None:
            await self._runner.cleanup()
