"""Account pages: sign up, and one's own data (see it, download it, erase it)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import personal_data
from accounts.forms import EraseAccountForm, SignupForm
from accounts.models import User


def signup(request: HttpRequest) -> HttpResponse:
    """Create an account with a display name and log straight in."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            user = form.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(next_url or "assemblies:home")
    else:
        form = SignupForm()
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


def privacy(request: HttpRequest) -> HttpResponse:
    """What is recorded, why and for how long: public, readable before signing up."""
    return render(request, "accounts/privacy.html")


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    """What Plenary records about the visitor, and the buttons to take it or erase it."""
    assert isinstance(request.user, User)
    return render(request, "accounts/my_data.html", {"erase_form": EraseAccountForm(request.user)})


@login_required
def download_data(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    data = personal_data.export_data(request.user)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    name = f"plenary-{request.user.get_username()}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@login_required
def erase_account(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    form = EraseAccountForm(request.user, request.POST)
    if not form.is_valid():
        return render(request, "accounts/my_data.html", {"erase_form": form}, status=400)
    user = request.user
    logout(request)
    personal_data.erase_account(user)
    messages.success(request, _("Your account is erased."))
    return redirect("assemblies:home")
