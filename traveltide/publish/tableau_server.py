"""Publish a run's packaged data source (.tdsx) and starter workbook (.twbx) to Tableau Server
or Tableau Cloud with tableauserverclient.

Sign-in uses a personal access token read from two environment variables, never from a file
or a setting (settings are written into the manifest), and never logged. Every failure becomes
one :class:`TableauPublishError` that says what the server answered, what was already
published and what to check.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from traveltide.errors import TravelTideError

__all__ = [
    "TOKEN_NAME_ENV",
    "TOKEN_SECRET_ENV",
    "PublishedItem",
    "TableauPublishError",
    "check_server_url",
    "publish_to_tableau",
    "token_from_environment",
]

TOKEN_NAME_ENV = "TRAVELTIDE_TABLEAU_TOKEN_NAME"
TOKEN_SECRET_ENV = "TRAVELTIDE_TABLEAU_TOKEN_SECRET"
_KINDS = {".tdsx": "data source", ".twbx": "workbook"}
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}

log = logging.getLogger("traveltide.tableau")


class TableauPublishError(TravelTideError):
    """Publishing to Tableau Server or Cloud failed; the message says what was published."""


@dataclass(frozen=True, slots=True)
class PublishedItem:
    """One file published: what it became on the site."""

    kind: str  # 'data source' or 'workbook'
    name: str
    id: str
    project: str
    file: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def token_from_environment() -> tuple[str, str]:
    """The personal access token (name, secret) from the environment."""
    name, secret = os.environ.get(TOKEN_NAME_ENV, ""), os.environ.get(TOKEN_SECRET_ENV, "")
    missing = [env for env, value in ((TOKEN_NAME_ENV, name), (TOKEN_SECRET_ENV, secret)) if not value]
    if missing:
        raise TableauPublishError(
            f"{' and '.join(missing)} not set: publishing signs in with a Tableau personal access token "
            "(create one under My Account Settings on the site) given in the environment, e.g. "
            f"export {TOKEN_NAME_ENV}=traveltide {TOKEN_SECRET_ENV}=...; nothing was published"
        )
    return name, secret


def check_server_url(url: str) -> str:
    """``url`` when it can carry a token: https, or http to this machine only."""
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        if not parts.hostname:
            raise ValueError(f"{url!r} names no host")
        return url.rstrip("/")
    raise ValueError(
        f"{url!r} is not an https:// address: the token would travel in clear text "
        "(plain http is accepted only for a server on this machine)"
    )


def publish_to_tableau(
    *,
    server: str,
    site: str,
    project: str,
    files: Sequence[Path],
    name: str,
    mode: Literal["overwrite", "create_new"],
    token: tuple[str, str],
    timeout: float,
) -> list[PublishedItem]:
    """Sign in to ``site`` of ``server``, publish each .tdsx and .twbx of ``files`` into
    ``project`` as ``name`` (overwriting or creating new), sign out; return what was published."""
    import requests
    import tableauserverclient as TSC
    from tableauserverclient.server.endpoint.exceptions import InternalServerError, NonXMLResponseError

    url = check_server_url(server)
    where = f"{url} (site {site or 'Default'!r}, project {project!r})"
    done: list[PublishedItem] = []
    try:
        srv = TSC.Server(url, use_server_version=True, http_options={"timeout": timeout})
        auth = TSC.PersonalAccessTokenAuth(token[0], token[1], site_id=site)
        with srv.auth.sign_in(auth):
            project_id = _project_id(srv, TSC, project=project, where=where)
            publish_mode = TSC.Server.PublishMode.Overwrite if mode == "overwrite" else TSC.Server.PublishMode.CreateNew
            for path in files:
                kind = _KINDS[path.suffix]
                if kind == "data source":
                    item: Any = srv.datasources.publish(TSC.DatasourceItem(project_id, name=name), path, publish_mode)
                else:
                    workbook = TSC.WorkbookItem(project_id, name=name, show_tabs=True)
                    item = srv.workbooks.publish(
                        workbook, path, publish_mode, connections=None, as_job=False, skip_connection_check=False
                    )
                done.append(PublishedItem(kind=kind, name=item.name, id=item.id, project=project, file=path.name))
                log.info("published %s %r to %s (id %s)", kind, item.name, where, item.id)
    except TableauPublishError as exc:
        raise TableauPublishError(f"{exc}{_so_far(done)}") from None
    except TSC.FailedSignInError as exc:
        raise TableauPublishError(
            f"{where}: sign-in refused ({exc.code} {exc.summary}: {exc.detail}). Check {TOKEN_NAME_ENV} and "
            f"{TOKEN_SECRET_ENV} (a token expires after 15 days unused and is revoked when its owner "
            f"changes password) and that the site is {site!r}{_so_far(done)}"
        ) from None
    except TSC.ServerResponseError as exc:
        hint = {
            "404": "check the server address and the site's content URL (the part after /site/ in its address)",
            "403": "the token's user may not publish to this project",
            "409": "it exists already: publish with mode overwrite, or another name",
        }.get(str(exc.code)[:3], "see the server's message")
        raise TableauPublishError(
            f"{where}: the server refused ({exc.code} {exc.summary}: {exc.detail}); {hint}{_so_far(done)}"
        ) from None
    except InternalServerError as exc:
        raise TableauPublishError(
            f"{where}: the server failed with HTTP {exc.code} at {exc.url}; try again later, and tell the "
            f"site's administrator if it persists{_so_far(done)}"
        ) from None
    except NonXMLResponseError:
        raise TableauPublishError(
            f"{where}: the answer is not Tableau's REST API; give the server's root address "
            f"(https://tableau.example.com, or https://<pod>.online.tableau.com for Tableau Cloud){_so_far(done)}"
        ) from None
    except requests.RequestException as exc:
        raise TableauPublishError(
            f"{where}: cannot reach the server ({type(exc).__name__}: {exc}); check the address and the "
            f"network{_so_far(done)}"
        ) from None
    return done


def _project_id(srv: Any, tsc: Any, *, project: str, where: str) -> str:
    """The id of the project named ``project`` (a top-level one when names repeat)."""
    options = tsc.RequestOptions()
    options.filter.add(tsc.Filter(tsc.RequestOptions.Field.Name, tsc.RequestOptions.Operator.Equals, project))
    found = list(tsc.Pager(srv.projects, options))
    if not found:
        raise TableauPublishError(
            f"{where}: no project named {project!r} on the site; give an existing project (--project), e.g. 'default'"
        )
    top = [p for p in found if not p.parent_id] or found
    if len(top) > 1:
        raise TableauPublishError(f"{where}: {len(top)} projects are named {project!r}; rename one")
    project_id: str = top[0].id
    return project_id


def _so_far(done: list[PublishedItem]) -> str:
    if not done:
        return "; nothing was published"
    return "; already published: " + ", ".join(f"{d.kind} {d.name!r} ({d.file})" for d in done)
