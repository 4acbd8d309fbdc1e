"""The web UI mounted on the application: every page module's routes, the static files, error pages."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from hotline.web import decisions, deliveries, review, rules, views
from hotline.web.pages import STATIC_DIR, redirect, render
from hotline.web.security import PageError, SignInRequired, signin_url


def install(app: FastAPI) -> None:
    """Add the web UI to the app: its pages, its static files, and pages (not JSON) for its errors."""
    for pages in (views, decisions, review, rules, deliveries):
        app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.exception_handler(SignInRequired)
    async def _sign_in_required(_request: Request, exc: SignInRequired) -> Response:
        return redirect(signin_url(exc.next_path))

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        web_user = None
        titles = {403: "Not allowed", 404: "Page not found"}
        return render(
            request,
            "error.html",
            {"title": titles.get(exc.status_code, "Something went wrong"), "message": exc.message},
            web_user=web_user,
            status_code=exc.status_code,
        )
