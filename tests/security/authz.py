"""The machinery of the authorization-matrix test: find every URL pattern, build a request for it,
send it as a role class, and name the outcome. The declarations themselves are in matrix.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from tests.security import matrix

# Outcomes of one request, compared with the declared expectation.
IN = "in"  # reached the view: 2xx, or a redirect that is not to a sign-in page, or 400/409 (input refused by the view)
LOGIN = "login"  # 302 to the portal's sign-in page (or the admin's)
FORBIDDEN = "403"
NOT_FOUND = "404"
NOT_ALLOWED = "405"
UNAUTHENTICATED = "401"


@dataclass(frozen=True)
class Endpoint:
    key: str  # "namespace:name", or the route ("/admin/auth/group/<path:object_id>/") when unnamed
    namespace: str
    route: str  # the whole pattern, for messages
    arguments: tuple[str, ...]  # names of the path arguments, in order
    regex: bool
    callback: object

    def describe(self) -> str:
        return f"{self.key} ({'/' + self.route})"


def _arguments(pattern) -> tuple[str, ...]:
    if isinstance(pattern, RoutePattern):
        return tuple(pattern.converters)
    if isinstance(pattern, RegexPattern):
        return tuple(pattern.regex.groupindex)
    return ()


def discover() -> list[Endpoint]:
    """Every URL pattern the resolver knows, named or not, with its namespace."""

    def walk(patterns, prefix: str, namespace: str, arguments: tuple[str, ...], regex: bool) -> Iterator[Endpoint]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            here = arguments + _arguments(pattern.pattern)
            is_regex = regex or isinstance(pattern.pattern, RegexPattern)
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else (pattern.namespace or namespace)
                yield from walk(pattern.url_patterns, route, inner, here, is_regex)
            elif isinstance(pattern, URLPattern):
                key = (f"{namespace}:{pattern.name}" if namespace else pattern.name) if pattern.name else "/" + route
                yield Endpoint(key, namespace, route, here, is_regex, pattern.callback)

    seen: dict[str, Endpoint] = {}
    for endpoint in walk(get_resolver().url_patterns, "", "", (), False):
        seen.setdefault(endpoint.key, endpoint)  # the first pattern of a name is the one reverse() builds
    return sorted(seen.values(), key=lambda e: e.key)


def rule_for(endpoint: Endpoint) -> matrix.Rule | None:
    if endpoint.key in matrix.MATRIX:
        return matrix.MATRIX[endpoint.key]
    return matrix.NAMESPACES.get(endpoint.namespace)


def path_for(endpoint: Endpoint, values: dict[str, object]) -> str:
    if not endpoint.key.startswith("/"):
        return reverse(endpoint.key, kwargs=values)
    route = "/" + endpoint.route
    if endpoint.regex:
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), route).replace("^", "").replace("$", "")
    else:
        route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)
    return route


def outcome(response) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = response.get("Location", "")
        signin = (reverse(settings.LOGIN_URL), reverse("admin:login"))
        return LOGIN if location.split("?", 1)[0].endswith(signin) else IN
    if status in (200, 201, 204, 400, 409) or 200 <= status < 300:
        return IN
    return {401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND, 405: NOT_ALLOWED}.get(status, str(status))


class Rollback(Exception):
    pass


def request(client, method: str, path: str, *, json: bool = False, **extra):
    """Send one request and undo whatever it wrote (so a POST cannot change the next request)."""
    try:
        with transaction.atomic():
            if method == "GET":
                response = client.get(path, **extra)
            elif json:
                response = client.post(path, "{}", content_type="application/json", **extra)
            else:
                response = client.post(path, {}, **extra)
            raise Rollback(response)
    except Rollback as done:
        return done.args[0]


def _admin_model(endpoint) -> type[Model] | None:
    parts = endpoint.route.split("/")
    for model in admin.site._registry:
        if parts[1:3] == [model._meta.app_label, model._meta.model_name]:
            return model
    return None


def sample_values(endpoint, rule, portal) -> dict[str, object]:
    values = {}
    for name in endpoint.arguments:
        if name in rule.args:
            value = rule.args[name]
            values[name] = value(portal) if callable(value) else value
        elif endpoint.namespace == "admin":  # the admin's URLs are made per registered model
            model = _admin_model(endpoint)
            if name in ("object_id", "pk"):
                values[name] = model._base_manager.order_by("pk").values_list("pk", flat=True).first() if model else 1
            elif name == "app_label":
                values[name] = next(iter(admin.site._registry))._meta.app_label
            elif name == "content_type_id":
                from django.contrib.contenttypes.models import ContentType

                values[name] = ContentType.objects.get_for_model(type(portal.users["staff"])).pk
                values["object_id"] = portal.users["staff"].pk
            else:
                values[name] = "no-such-page/"
        else:
            values[name] = 1
    return values


METHODS = ("GET", "POST")


def walk(portal, endpoints=None) -> Iterator[tuple[Endpoint, str | None, str, str, str]]:
    """Request every declared URL as every role class with each method: (endpoint, path, method,
    role class, outcome). A URL whose sample cannot be found yields path None and the reason."""
    for endpoint in endpoints or discover():
        rule = rule_for(endpoint)
        if rule is None:
            continue  # reported by test_every_url_is_declared_in_the_matrix
        try:
            path = path_for(endpoint, sample_values(endpoint, rule, portal))
        except Exception as error:  # no sample row, or a sample the URL does not accept
            yield endpoint, None, "", "", f"{type(error).__name__}: {error}"
            continue
        for method in METHODS:
            for role_class in matrix.ROLE_CLASSES:
                try:
                    if rule.auth == "token":
                        client, extra = portal.api_client(role_class)
                        got = outcome(request(client, method, path, json=True, **extra))
                    else:
                        got = outcome(request(portal.client(role_class), method, path))
                except Exception as error:  # a crash is a finding too (a 500 for that role)
                    got = f"500 {type(error).__name__}: {str(error)[:120]}"
                yield endpoint, path, method, role_class, got
