"""/admin/sign-in: administrators connect districts to their OpenID Connect provider (the page of `booking sso`),
and turn password sign-in off for a district's addresses."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery

from booking.accounts import sign_in_providers
from booking.accounts.district_sign_in import redirect_uri
from booking.accounts.districts import list_districts
from booking.accounts.forms import PasswordSignInForm, SignInProviderForm
from booking.accounts.sign_in_providers import ProviderUnreachable
from booking.errors import Conflict, InvalidInput, NotFound
from booking.web.forms import read_form
from booking.web.guards import SignedInActor, admin_only
from booking.web.pages import page, redirect

CONNECT_FIELDS = ("district", "issuer", "client_id", "domains")  # never the secret: it is not shown back


def _providers_url(request: Request) -> str:
    return request.app.route_reverse("accounts.sign_in_providers")


async def _connect_form(request: Request, form: dict, errors: dict, status: int = 200) -> object:
    districts = await list_districts()
    connected = {row["code"] for row in await sign_in_providers.list_providers()}
    options = [(d["code"], f"{d['name']} ({d['code']})") for d in districts]
    return page(
        request,
        "accounts/sign_in_provider_connect.html",
        status=status,
        form=form,
        errors=errors,
        district_choices=options,
        replacing=form["district"] in connected,
        redirect_uri=redirect_uri(),
    )


async def _connected(code: str) -> dict:
    for provider in await sign_in_providers.list_providers():
        if provider["code"].lower() == code.strip().lower():
            return provider
    raise NotFound("That district does not sign in with its own account here.")


class SignInProvidersController(Controller):
    path = "/admin/sign-in"
    guards = [admin_only]
    include_in_schema = False

    @get("/", name="accounts.sign_in_providers")
    async def index(self, request: Request) -> object:
        return page(
            request,
            "accounts/sign_in_providers.html",
            providers=await sign_in_providers.list_providers(),
            redirect_uri=redirect_uri(),
        )

    @get("/connect", name="accounts.sign_in_provider_connect")
    async def connect_form(self, request: Request, district: FromQuery[str] = "") -> object:
        # Replacing a district's settings: the form starts from what is stored (the secret excepted).
        form = dict.fromkeys(CONNECT_FIELDS, "")
        for provider in await sign_in_providers.list_providers():
            if provider["code"].lower() == district.strip().lower():
                form = {
                    "district": provider["code"],
                    "issuer": provider["issuer"],
                    "client_id": provider["client_id"],
                    "domains": ", ".join(provider["domains"]),
                }
        return await _connect_form(request, form, {})

    @post("/connect", name="accounts.sign_in_provider_connect_save")
    async def connect(self, request: Request, actor: SignedInActor) -> object:
        try:
            entry = await read_form(request, SignInProviderForm)
        except InvalidInput as error:  # text too long: shown beside its field, the form starting again
            return await _connect_form(request, dict.fromkeys(CONNECT_FIELDS, ""), error.field_errors, status=422)
        form = {name: getattr(entry, name) for name in CONNECT_FIELDS}  # never the secret: it is not shown back
        if not form["district"].strip():
            return await _connect_form(request, form, {"district": "Choose the district to connect."}, status=422)
        errors: dict[str, str]
        try:
            await sign_in_providers.set_provider(
                form["district"],
                form["issuer"],
                form["client_id"],
                entry.client_secret,
                form["domains"],
                actor=actor,
                keep_secret_if_empty=True,
            )
        except InvalidInput as error:
            errors = error.field_errors
        except NotFound:
            errors = {"district": "Choose a district from the list."}
        except ProviderUnreachable as error:
            errors = {
                "issuer": f"The provider did not answer as expected: {error.message} Check the issuer URL: "
                "the provider must answer at that address followed by /.well-known/openid-configuration."
            }
        except Conflict as error:
            errors = {"domains": error.message}
        else:
            return redirect(request, _providers_url(request), notice="district-sign-in-connected")
        return await _connect_form(request, form, errors, status=422)

    @post("/{code:str}/password-sign-in", name="accounts.sign_in_provider_password_sign_in")
    async def password_sign_in(self, request: Request, actor: SignedInActor, code: FromPath[str]) -> object:
        choice = (await read_form(request, PasswordSignInForm)).password_sign_in
        if choice not in ("on", "off"):
            raise InvalidInput({"password_sign_in": "Choose on or off."})
        await sign_in_providers.set_password_sign_in(code[:200], choice == "on", actor=actor)
        return redirect(request, _providers_url(request), notice=f"password-sign-in-{choice}")

    @get("/{code:str}/remove", name="accounts.sign_in_provider_remove")
    async def remove_form(self, request: Request, code: FromPath[str]) -> object:
        return page(request, "accounts/sign_in_provider_remove.html", provider=await _connected(code[:200]))

    @post("/{code:str}/remove", name="accounts.sign_in_provider_remove_confirm")
    async def remove(self, request: Request, actor: SignedInActor, code: FromPath[str]) -> object:
        provider = await _connected(code[:200])
        await sign_in_providers.remove_provider(provider["code"], actor=actor)
        return redirect(request, _providers_url(request), notice="district-sign-in-removed")
