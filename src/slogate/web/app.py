"""The dashboard as a Starlette sub-application that `slogate serve` mounts.

Pages are server-rendered with Jinja2 (autoescape on), so every value that came
from an event is escaped in one place. Live parts are HTML fragments the page
re-fetches every `dashboard.refresh_seconds`; charts are Plotly JSON from
`/api/dashboard/...` drawn by the Plotly bundle that ships in the `plotly`
Python package. No inline script anywhere: the Content-Security-Policy header
only allows scripts from this origin.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import inspect
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import httpx
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from slogate.config.dashboard import DashboardSettings
from slogate.config.load import LoadedConfig
from slogate.core.alerts import AlertPolicy
from slogate.core.budget import BudgetPolicy
from slogate.web import views
from slogate.web.aggregates import SLOAggregates
from slogate.web.alerting import BurnRateAlerter, alert_state_path
from slogate.web.deadletters import DeadLetterReader
from slogate.web.evidence import EvidenceReader, summarize_packet
from slogate.web.ports import Clock, IngestStatus, IngestStatusProvider, KillSwitchPort

log = logging.getLogger("slogate.web")

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
COOKIE = "slogate_dashboard"

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'; object-src 'none'"
)
# A packet's own HTML is shown as a document with no script at all, in a sandbox.
PACKET_CSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def plotly_js_path() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Runtime:
    """State shared by the routes and the background tasks of one dashboard app."""

    def __init__(
        self,
        *,
        ctx: views.Context,
        clock: Clock,
        data_dir: Path | None,
        tokens: tuple[str | None, str | None],
        ingest_status: IngestStatusProvider | None,
        kill_switch: KillSwitchPort | None,
        rebuild_on_start: bool,
        run_alerts: bool,
    ) -> None:
        self.ctx = ctx
        self.clock = clock
        self.data_dir = data_dir
        self.dashboard_token, self.admin_token = tokens
        self.ingest_status_provider = ingest_status
        self.kill_switch = kill_switch
        self.deadletters = DeadLetterReader(data_dir)
        self.rebuild_on_start = rebuild_on_start
        self.run_alerts = run_alerts
        self._tasks: list[asyncio.Task[Any]] = []
        self.rebuilt: asyncio.Event | None = None  # created in start(), on the loop

    @property
    def aggregates(self) -> SLOAggregates:
        return self.ctx.aggregates

    @property
    def alerter(self) -> BurnRateAlerter:
        return self.ctx.alerter

    def ingest_status(self) -> IngestStatus | None:
        if self.ingest_status_provider is None:
            return None
        try:
            return self.ingest_status_provider()
        except Exception:  # the page must render even when the ingest side is broken
            log.exception("ingest status provider failed")
            return None

    async def kill_switch_state(self) -> bool | None:
        if self.kill_switch is not None:
            value = self.kill_switch.is_on()
            if inspect.isawaitable(value):
                value = await value
            return bool(value)
        status = self.ingest_status()
        return status.kill_switch if status else None

    async def start(self) -> None:
        self.rebuilt = asyncio.Event()
        if self.rebuild_on_start and self.data_dir is not None:
            self._tasks.append(asyncio.create_task(self._rebuild()))
        else:
            self.rebuilt.set()
        if self.run_alerts:
            self._tasks.append(asyncio.create_task(self._alert_loop()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def _rebuild(self) -> None:
        assert self.data_dir is not None and self.rebuilt is not None
        try:
            report = await asyncio.to_thread(
                self.aggregates.rebuild_from_store, self.data_dir, now=self.clock()
            )
            log.info("dashboard aggregates rebuilt: %s", report)
        except Exception:
            log.exception("dashboard aggregates rebuild failed")
        finally:
            self.rebuilt.set()

    async def _alert_loop(self) -> None:
        assert self.rebuilt is not None
        await self.rebuilt.wait()
        restored = await asyncio.to_thread(self.alerter.restore)
        if restored:
            log.info("%d firing alert(s) restored from the last run", restored)
        while True:
            try:
                await self.alerter.run_once()
                self.aggregates.prune(self.clock())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("burn-rate evaluation failed")
            await asyncio.sleep(self.ctx.settings.alert_eval_seconds)


# --- middleware --------------------------------------------------------------------


class SecurityHeaders:
    """CSP and friends on every answer (a route may set a stricter CSP itself), and
    `Server-Timing: app;dur=<ms>` so the benchmark can read server time."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                elapsed = (time.perf_counter() - started) * 1000
                headers.append((b"server-timing", f"app;dur={elapsed:.1f}".encode()))
                present = {k.lower() for k, _ in headers}
                extra = {
                    b"content-security-policy": CSP.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"no-referrer",
                    b"x-frame-options": b"DENY",
                    b"cache-control": b"no-store",
                }
                headers.extend((k, v) for k, v in extra.items() if k not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def session_value(token: str) -> str:
    """What the cookie holds: a MAC of the token, so the token itself is never stored."""
    return hmac.new(token.encode(), b"slogate-dashboard-session", hashlib.sha256).hexdigest()


def _eq(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class TokenAuth:
    """Read access needs the dashboard token (or the admin token) when one is set:
    as `Authorization: Bearer`, as the session cookie set by /login, or once as
    `?token=` (answered with the cookie and a redirect that drops it from the URL)."""

    OPEN_PREFIXES = ("/static/", "/login")

    def __init__(self, app: ASGIApp, runtime: Runtime, env: Environment) -> None:
        self.app = app
        self.rt = runtime
        self.env = env

    def _valid_tokens(self) -> list[str]:
        return [t for t in (self.rt.dashboard_token, self.rt.admin_token) if t]

    def authorized(self, request: Request) -> bool:
        tokens = self._valid_tokens()
        if not self.rt.dashboard_token:
            return True
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            given = header[7:].strip()
            return any(_eq(given, t) for t in tokens)
        cookie = request.cookies.get(COOKIE, "")
        return bool(cookie) and any(_eq(cookie, session_value(t)) for t in tokens)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = _route_path(scope)
        if not self.rt.dashboard_token or path.startswith(self.OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        query_token = request.query_params.get("token")
        if query_token is not None:
            match = next((t for t in self._valid_tokens() if _eq(query_token, t)), None)
            if match is not None:
                rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                target = _base(request) + path + (("?" + urlencode(rest)) if rest else "")
                response: Response = RedirectResponse(target, status_code=303)
                _set_cookie(response, request, match)
                await response(scope, receive, send)
                return
        if self.authorized(request):
            await self.app(scope, receive, send)
            return
        await _unauthorized(request, self.env)(scope, receive, send)


def _set_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        session_value(token),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=(_base(request) or "/"),
    )


def _unauthorized(request: Request, env: Environment) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="slogate dashboard"'}
    path = _route_path(request.scope)
    wants_html = "text/html" in request.headers.get("accept", "")
    if path.startswith(("/api/", "/partials/")) or not wants_html:
        return JSONResponse(
            {"error": "unauthorized", "detail": "dashboard token required"}, 401, headers
        )
    html = env.get_template("login.html").render(
        base=_base(request), next=path, failed=False, title="Sign in", pillars=[]
    )
    return HTMLResponse(html, 401, headers)


def _route_path(scope: Scope) -> str:
    path: str = scope.get("path", "/")
    root: str = scope.get("root_path", "") or ""
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    return path


def _base(request: Request) -> str:
    return (request.scope.get("root_path", "") or "").rstrip("/")


def _jinja() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["fmt_value"] = views.fmt_value
    env.filters["pct"] = lambda v: "n/a" if v is None else f"{v * 100:.1f} %"
    env.filters["num"] = lambda v, d=2: "n/a" if v is None else f"{v:.{d}f}"
    env.filters["tojson_attr"] = lambda v: json.dumps(v, sort_keys=True)
    env.filters["status_class"] = _status_class
    return env


def _status_class(status: object) -> str:
    s = str(status or "").upper().replace("-", "_").replace(" ", "_")
    if s in {"PASS", "MET", "GO", "RESOLVED", "OFF", "OK", "TRUE"}:
        return "ok"
    if s in {"FAIL", "MISSED", "NO_GO", "FIRING", "ON", "PAGE", "FAILED"}:
        return "bad"
    if s in {"IN_PROGRESS", "AT_RISK", "TICKET", "WARN"}:
        return "warn"
    return "neutral"


# --- the factory -------------------------------------------------------------------


def create_dashboard_app(
    *,
    config: LoadedConfig,
    evidence_dir: Path,
    data_dir: Path | None = None,
    clock: Clock | None = None,
    dashboard_token: str | None = None,
    admin_token: str | None = None,
    ingest_status: IngestStatusProvider | None = None,
    kill_switch: KillSwitchPort | None = None,
    settings: DashboardSettings | None = None,
    aggregates: SLOAggregates | None = None,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
    rebuild_on_start: bool = True,
    run_alerts: bool = True,
) -> Starlette:
    """Build the dashboard. Explicit tokens win over `dashboard.token`/`admin_token`.

    The returned app exposes `app.state.dashboard` (a `Runtime`) whose
    `aggregates.observe(events)` the ingest path calls with accepted events. Its
    lifespan rebuilds the aggregates from `data_dir` and runs the alert loop; when
    mounted inside another app, run it from the parent's lifespan with
    `async with dash.router.lifespan_context(dash): ...`.
    """
    clock = clock or _utcnow
    settings = settings or getattr(config.config, "dashboard", None) or DashboardSettings()
    slos = config.config.core_slos()
    alerting = getattr(config.config, "alerting", None)
    policy = alerting.policy() if alerting is not None else AlertPolicy()
    budget_settings = getattr(config.config, "budget", None)
    budget = budget_settings.policy() if budget_settings is not None else BudgetPolicy()
    retention = max(int(budget.period_days(clock())) + 1, 4)
    aggregates = aggregates or SLOAggregates(slos, retention_days=retention)
    alerter = BurnRateAlerter(
        aggregates,
        slos,
        policy,
        webhooks=settings.webhooks,
        clock=clock,
        public_url=settings.public_url,
        transport=webhook_transport,
        state_path=alert_state_path(data_dir) if data_dir is not None else None,
    )
    ctx = views.Context(
        slos=slos,
        settings=settings,
        evidence=EvidenceReader(evidence_dir),
        aggregates=aggregates,
        alerter=alerter,
        budget=budget,
        weights=_rubric_weights(config),
        **_margin_settings(config),
    )
    runtime = Runtime(
        ctx=ctx,
        clock=clock,
        data_dir=data_dir,
        tokens=(
            dashboard_token or _secret(settings.token),
            admin_token or _secret(settings.admin_token),
        ),
        ingest_status=ingest_status,
        kill_switch=kill_switch,
        rebuild_on_start=rebuild_on_start,
        run_alerts=run_alerts,
    )
    env = _jinja()

    def render(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        values.setdefault("base", _base(request))
        values.setdefault("pillars", ctx.pillars())
        values.setdefault("refresh_ms", int(settings.refresh_seconds * 1000))
        values.setdefault("project", config.config.project)
        values.setdefault("admin_enabled", bool(runtime.admin_token))
        values.setdefault("charts_url", None)
        values.setdefault("page", None)
        return HTMLResponse(env.get_template(name).render(**values), status)

    def now() -> datetime:
        return clock()

    # --- pages ---

    async def overview_data() -> dict[str, Any]:
        data = views.overview(ctx, now(), runtime.ingest_status())
        if runtime.kill_switch is not None:
            try:
                data["ingest"]["kill_switch"] = await runtime.kill_switch_state()
            except Exception:
                log.exception("kill-switch state unavailable")
        return data

    async def overview_page(request: Request) -> Response:
        data = await overview_data()
        return render(
            request,
            "overview.html",
            title="Overview",
            page="overview",
            d=data,
            charts_url=_base(request) + "/api/dashboard/charts/overview",
        )

    async def overview_partial(request: Request) -> Response:
        data = await overview_data()
        return render(request, "_overview_live.html", d=data)

    async def overview_api(request: Request) -> Response:
        return JSONResponse(await overview_data())

    async def overview_charts(request: Request) -> Response:
        return JSONResponse(views.overview_charts(ctx, now()))

    def _pillar_name(request: Request) -> str | None:
        name = request.path_params["pillar"]
        return name if name in ctx.pillars() else None

    async def pillar_page(request: Request) -> Response:
        name = _pillar_name(request)
        if name is None:
            return render(request, "error.html", 404, title="Not found", message="No such pillar.")
        data = views.pillar(ctx, name, now())
        charts = _base(request) + "/api/dashboard/charts/pillars/" + quote(name, safe="")
        return render(
            request, "pillar.html", title=f"Pillar {name}", page=name, d=data, charts_url=charts
        )

    async def pillar_partial(request: Request) -> Response:
        name = _pillar_name(request)
        if name is None:
            return PlainTextResponse("not found", 404)
        return render(request, "_pillar_live.html", d=views.pillar(ctx, name, now()))

    async def pillar_api(request: Request) -> Response:
        name = _pillar_name(request)
        if name is None:
            return JSONResponse({"error": "not_found", "detail": "no such pillar"}, 404)
        return JSONResponse(views.pillar(ctx, name, now()))

    async def pillar_charts(request: Request) -> Response:
        name = _pillar_name(request)
        if name is None:
            return JSONResponse({"error": "not_found", "detail": "no such pillar"}, 404)
        data = await asyncio.to_thread(views.pillar_charts, ctx, name, now())
        return JSONResponse(data)

    def packets_data() -> list[dict[str, Any]]:
        out = []
        for p in reversed(ctx.evidence.packets()):
            s = summarize_packet(p)
            out.append(
                {
                    "date": p.slug,
                    "decision": s.decision,
                    "score": s.score,
                    "formats": sorted(p.files),
                    "error": p.error,
                }
            )
        return out

    async def packets_page(request: Request) -> Response:
        return render(
            request, "packets.html", title="Packets", page="packets", packets=packets_data()
        )

    async def packets_api(request: Request) -> Response:
        return JSONResponse({"packets": packets_data()})

    def _packet(request: Request) -> Any:
        slug = request.path_params["day"]
        if not _DAY.match(slug):
            return None
        try:
            day = date.fromisoformat(slug)
        except ValueError:
            return None
        return ctx.evidence.packet(day)

    async def packet_page(request: Request) -> Response:
        p = _packet(request)
        if p is None:
            return render(
                request, "error.html", 404, title="Not found", message="No packet for that date."
            )
        s = summarize_packet(p)
        return render(
            request,
            "packet.html",
            title=f"Packet {p.slug}",
            page="packets",
            p=p,
            s=s,
            formats=sorted(p.files),
        )

    async def packet_file(request: Request) -> Response:
        p = _packet(request)
        fmt = request.path_params["fmt"]
        if p is None or fmt not in p.files:
            return PlainTextResponse("not found", 404)
        path: Path = p.files[fmt]
        name = path.name
        if fmt == "html":
            return FileResponse(
                path,
                media_type="text/html; charset=utf-8",
                headers={"Content-Security-Policy": PACKET_CSP},
            )
        inline = {"Content-Disposition": f'inline; filename="{name}"'}
        if fmt == "json":
            return FileResponse(path, media_type="application/json", headers=inline)
        return FileResponse(path, media_type="text/markdown; charset=utf-8", headers=inline)

    async def _safe_kill_state() -> bool | None:
        try:
            return await runtime.kill_switch_state()
        except Exception:
            log.exception("kill-switch state unavailable")
            return None

    async def ingest_data() -> dict[str, Any]:
        status = runtime.ingest_status()
        health = views.ingest_health(ctx, now(), status)
        reasons, dead = await asyncio.to_thread(runtime.deadletters.summary)
        rejects = dict(status.rejects_by_reason) if status and status.rejects_by_reason else None
        return {
            "generated": views.iso(now()),
            "health": health,
            "kill_switch": await _safe_kill_state(),
            "kill_switch_source": status.kill_switch_source if status else None,
            "kill_switch_settable": runtime.kill_switch is not None and bool(runtime.admin_token),
            "rejects_by_reason": sorted(
                (rejects if rejects is not None else dict(reasons)).items(),
                key=lambda kv: (-kv[1], kv[0]),
            ),
            "rejects_source": "ingest" if rejects is not None else "dead letters",
            "dead_letters": [_dead_row(r) for r in dead[:50]],
            "dead_letter_count": sum(reasons.values()),
            "rate_limited": [
                {"client": c.client, "count": c.count, "last_at": views.iso(c.last_at)}
                for c in (status.rate_limited if status else ())
            ],
            "rate_limited_by_limit": sorted(
                (status.rate_limited_by_limit if status else {}).items()
            ),
        }

    async def ingest_page(request: Request) -> Response:
        return render(
            request,
            "ingest.html",
            title="Ingest",
            page="ingest",
            d=await ingest_data(),
            charts_url=_base(request) + "/api/dashboard/charts/ingest",
        )

    async def ingest_partial(request: Request) -> Response:
        return render(request, "_ingest_live.html", d=await ingest_data())

    async def ingest_api(request: Request) -> Response:
        return JSONResponse(await ingest_data())

    async def ingest_charts(request: Request) -> Response:
        return JSONResponse(views.ingest_charts(ctx, now(), runtime.ingest_status()))

    async def alerts_api(request: Request) -> Response:
        return JSONResponse(
            {
                "firing": [views._alert_state(a) for a in alerter.active()],
                "recent": [views._alert_event(e) for e in alerter.recent()],
                "last_evaluated": views.iso(alerter.last_evaluated),
            }
        )

    async def kill_switch_api(request: Request) -> Response:
        if not runtime.admin_token:
            return JSONResponse({"error": "disabled", "detail": "no admin token configured"}, 403)
        header = request.headers.get("authorization", "")
        given = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if not given or not _eq(given, runtime.admin_token):
            return JSONResponse(
                {"error": "forbidden", "detail": "admin token required"},
                403,
                {"WWW-Authenticate": 'Bearer realm="slogate admin"'},
            )
        if runtime.kill_switch is None:
            return JSONResponse({"error": "unavailable", "detail": "no kill switch wired"}, 503)
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("on"), bool):
            return JSONResponse(
                {"error": "bad_request", "detail": 'body must be {"on": bool}'}, 400
            )
        result = runtime.kill_switch.set(body["on"], actor="dashboard-admin")
        if inspect.isawaitable(result):
            await result
        return JSONResponse({"kill_switch": await runtime.kill_switch_state()})

    async def login_page(request: Request) -> Response:
        nxt = _safe_next(request.query_params.get("next"))
        return render(request, "login.html", title="Sign in", next=nxt, failed=False)

    async def login_post(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        token = (form.get("token") or [""])[0]
        nxt = _safe_next((form.get("next") or ["/"])[0])
        match = next(
            (t for t in (runtime.dashboard_token, runtime.admin_token) if t and _eq(token, t)),
            None,
        )
        if match is None:
            return render(request, "login.html", 401, title="Sign in", next=nxt, failed=True)
        response = RedirectResponse(_base(request) + nxt, status_code=303)
        _set_cookie(response, request, match)
        return response

    async def logout(request: Request) -> Response:
        response = RedirectResponse(_base(request) + "/login", status_code=303)
        response.delete_cookie(COOKIE, path=_base(request) or "/")
        return response

    async def plotly_js(request: Request) -> Response:
        return FileResponse(
            plotly_js_path(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    routes = [
        Route("/", overview_page),
        Route("/partials/overview", overview_partial),
        Route("/pillars/{pillar}", pillar_page),
        Route("/partials/pillars/{pillar}", pillar_partial),
        Route("/packets", packets_page),
        Route("/packets/{day}", packet_page),
        Route("/packets/{day}/packet.{fmt:str}", packet_file),
        Route("/ingest", ingest_page),
        Route("/partials/ingest", ingest_partial),
        Route("/api/dashboard/overview", overview_api),
        Route("/api/dashboard/charts/overview", overview_charts),
        Route("/api/dashboard/pillars/{pillar}", pillar_api),
        Route("/api/dashboard/charts/pillars/{pillar}", pillar_charts),
        Route("/api/dashboard/packets", packets_api),
        Route("/api/dashboard/ingest", ingest_api),
        Route("/api/dashboard/charts/ingest", ingest_charts),
        Route("/api/dashboard/alerts", alerts_api),
        Route("/api/dashboard/kill-switch", kill_switch_api, methods=["POST"]),
        Route("/login", login_page),
        Route("/login", login_post, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/static/vendor/plotly.min.js", plotly_js),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.add_middleware(TokenAuth, runtime=runtime, env=env)
    app.add_middleware(SecurityHeaders)
    app.state.dashboard = runtime
    app.state.jinja = env
    return app


def _margin_settings(config: LoadedConfig) -> dict[str, Any]:
    """Sev-3 margin and its basis from `window.severity`, when the section exists."""
    from slogate.core.incidents import MarginBasis

    severity = getattr(getattr(config.config, "window", None), "severity", None)
    if severity is None:
        return {}
    return {
        "margin_basis": MarginBasis(severity.margin_basis),
        "near_margin": float(severity.sev3_margin),
    }


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    text = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return text or None


def _safe_next(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _dead_row(row: dict[str, Any]) -> dict[str, Any]:
    event = row.get("event")
    name = None
    fields = None
    if isinstance(event, dict):
        name = event.get("event") or event.get("name") or event.get("type")
        fields = json.dumps(
            {k: v for k, v in event.items() if k not in ("event", "name", "type")},
            sort_keys=True,
            ensure_ascii=False,
        )[:500]
    raw = row.get("raw")
    return {
        "received_at": str(row.get("received_at", "")),
        "reason": str(row.get("reason", "")),
        "source": str(row.get("source", "")),
        "index": row.get("index"),
        "event": None if name is None else str(name),
        "fields": fields,
        "raw": None if raw is None else str(raw)[:500],
    }


def _rubric_weights(config: LoadedConfig) -> dict[str, float] | None:
    """Category weights from the readiness section when it has them (shape-tolerant)."""
    rubric = getattr(config.config, "rubric", None)
    cats = getattr(rubric, "categories", None) if rubric is not None else None
    if not cats:
        return None
    weights: dict[str, float] = {}
    if isinstance(cats, dict):
        items = list(cats.items())
    else:  # a list of category models keyed by `id` (scorecards use the ids)
        items = [(getattr(c, "id", None) or getattr(c, "name", None), c) for c in cats]
    for name, cat in items:
        weight = getattr(cat, "weight", None)
        if isinstance(cat, dict):
            weight = cat.get("weight")
        if name and isinstance(weight, int | float):
            weights[str(name)] = float(weight)
    return weights or None
