"""Pages of the minutes: the published versions, their changes and downloads, the
review (comments beside the text), and the organisers' workflow forms.

Views read; every change goes through ``minutes.services.workflow`` and
``minutes.services.review``. The live
editor itself is a region of the session page (``minutes_panel`` in
``minutes/templatetags/minutes.py``) that the script binds to the minutes socket.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from minutes import access
from minutes.exceptions import InvalidState, InvalidUpdate, MinutesError, MinutesLocked, NotAllowed
from minutes.forms import AnswerForm, CommentForm, SubmitForm
from minutes.models import Minutes, MinutesVersion, ReviewComment
from minutes.services import export as exports
from minutes.services import history as minutes_history
from minutes.services import review, versions, workflow
from minutes.services.diff import diff_html
from minutes.templatetags.minutes_tags import block_strings

ACTIONS: dict[str, Callable[..., Minutes]] = {
    "submit": workflow.submit_minutes,
    "approve": workflow.approve_minutes,
    "publish": workflow.publish_minutes,
    "reopen": workflow.reopen_minutes,
    "correct": workflow.correct_minutes,
}


def published(request: HttpRequest, pk: int) -> HttpResponse:
    """The current version of the minutes of session ``pk``, readable by everyone."""
    minutes = _published_minutes(request, pk)
    return _version_page(request, minutes, versions.current_version(minutes))


def version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """One published version, current or earlier, at its own address."""
    minutes = _published_minutes(request, pk)
    return _version_page(request, minutes, _version(minutes, number))


def changes(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """What changed from version ``number - 1`` to version ``number``."""
    minutes = _published_minutes(request, pk)
    new = _version(minutes, number)
    if number < 2:
        raise Http404
    old = _version(minutes, number - 1)
    return render(
        request,
        "minutes/changes.html",
        {
            "minutes": minutes,
            "session": minutes.session,
            "version": new,
            "previous": old,
            # Both sides were rendered by the allowlist; the diff adds only <ins>,
            # <del> and escaped labels (minutes.services.diff).
            "body": mark_safe(diff_html(old.html, new.html)),
        },
    )


async def export(request: HttpRequest, pk: int, number: int, fmt: str) -> HttpResponse:
    """A version as a download: Markdown, a standalone HTML document, or PDF.

    Async: the version is read on the sync thread (as Django's own views), then a
    PDF is printed in a worker thread of its own (its second of CPU must not hold
    up the pages that the sync thread serves), once per version and language,
    one print at a time (``exports.pdf_of``).
    """
    if fmt not in exports.FORMATS:
        raise Http404
    user = await request.auser()

    def read() -> tuple[str, str]:
        found = _version(_published_minutes_for(user, pk), number)
        name = exports.filename(found, exports.FORMATS[fmt][1])
        if fmt == "md":
            return exports.export_markdown(found), name
        return exports.export_html(found), name

    text, name = await sync_to_async(read)()
    if fmt == "pdf":
        data = await sync_to_async(exports.pdf_of, thread_sensitive=False)(text)
    else:
        data = text.encode()
    response = HttpResponse(data, content_type=exports.FORMATS[fmt][0])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _published_minutes(request: HttpRequest, pk: int) -> Minutes:
    return _published_minutes_for(request.user, pk)


def _published_minutes_for(user: Any, pk: int) -> Minutes:
    minutes = (
        Minutes.objects.select_related("session", "session__venue", "approved_by")
        .filter(session_id=pk)
        .first()
    )
    if minutes is None or not access.access_read_published(user, minutes):
        raise Http404  # as for a missing session: unpublished minutes are not shown
    return minutes


def _version(minutes: Minutes, number: int) -> MinutesVersion:
    found = versions.get_version(minutes, number)
    if found is None:
        raise Http404
    return found


def _version_page(request: HttpRequest, minutes: Minutes, shown: MinutesVersion) -> HttpResponse:
    return render(
        request,
        "minutes/published.html",
        {
            "minutes": minutes,
            "session": minutes.session,
            "version": shown,
            "is_current": shown.number == minutes.version,
            "versions": versions.list_versions(minutes),
            "formats": [
                ("md", "Markdown"),
                ("html", "HTML"),
                ("pdf", "PDF"),
            ],
            # Rendered from the document by an allowlist that escapes every text
            # and attribute (minutes.services.document.render_html).
            "body": mark_safe(shown.html),
        },
    )


@require_POST
def workflow_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Submit, approve, publish, reopen or correct the minutes (organisers; no script)."""
    move = ACTIONS.get(action)
    if move is None:
        raise Http404
    options: dict[str, Any] = {}
    if action == "submit":
        form = SubmitForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(str(error) for error in errors))
            return _to_panel(pk)
        options["review_ends_at"] = form.cleaned_data["review_ends_at"]
    try:
        move(pk, user=request.user, **options)
    except NotAllowed:
        raise Http404 from None
    except InvalidState as exc:
        messages.error(request, exc.message)
    return _to_panel(pk)


def _to_panel(pk: int) -> HttpResponse:
    return HttpResponseRedirect(reverse("assemblies:session", kwargs={"pk": pk}) + "#minutes")


# -- review --------------------------------------------------------------------------------


def review_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The minutes as they stand beside the comments; the comment form (no script)."""
    minutes = Minutes.objects.select_related("session").filter(session_id=pk).first()
    if minutes is None or not access.access_read_minutes(request.user, minutes.session):
        raise Http404
    form = CommentForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if form.is_valid():
            try:
                comment = review.post_comment(pk, user=request.user, **form.cleaned_data)
            except NotAllowed:
                raise Http404 from None
            except MinutesError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, gettext("Your comment is sent to the note-takers."))
                url = reverse("minutes:review", kwargs={"pk": pk})
                return HttpResponseRedirect(f"{url}#comment-{comment.pk}")
    can_answer = access.access_answer_comments(request.user, minutes)
    return render(
        request,
        "minutes/review.html",
        {
            "minutes": minutes,
            "session": minutes.session,
            "draft": mark_safe(versions.current_html(minutes)),  # the allowlist, as above
            "comments": review.comments_for(request.user, minutes),
            "form": form,
            "can_comment": access.access_comment_minutes(request.user, minutes),
            "can_answer": can_answer and minutes.is_editable,
            "review_open": minutes.review_is_open(),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def answer_comment(request: HttpRequest, pk: int, comment_id: int) -> HttpResponse:
    """Accept or decline a comment (note-takers and organisers)."""
    if not ReviewComment.objects.filter(pk=comment_id, minutes__session_id=pk).exists():
        raise Http404
    form = AnswerForm(request.POST)
    url = reverse("minutes:review", kwargs={"pk": pk}) + f"#comment-{comment_id}"
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(error) for error in errors))
        return HttpResponseRedirect(url)
    accept = form.cleaned_data["decision"] == "accept"
    try:
        review.answer_comment(
            comment_id, user=request.user, accept=accept, reply=form.cleaned_data["reply"]
        )
    except NotAllowed:
        raise Http404 from None
    except MinutesError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            gettext("The suggestion is accepted and the minutes changed.")
            if accept and ReviewComment.objects.filter(pk=comment_id).exclude(quote="").exists()
            else gettext("Your answer is recorded."),
        )
    return HttpResponseRedirect(url)


# -- history ---------------------------------------------------------------------------


@require_GET
def history(request: HttpRequest, pk: int) -> HttpResponse:
    """The history page: a slider over the revisions, who wrote what, restore."""
    try:
        minutes = minutes_history.minutes_for_history(pk, user=request.user)
    except NotAllowed:
        raise Http404 from None
    base = reverse("minutes:history", kwargs={"pk": pk})
    data = _history_data(minutes_history.list_revisions(minutes.pk))
    return render(
        request,
        "minutes/history.html",
        {
            "minutes": minutes,
            "session": minutes.session,
            "history": data,
            "last": len(data["revisions"]) - 1,
            "config": {
                "base": base,
                "revisions": reverse("minutes:history_revisions", kwargs={"pk": pk}),
                "canRestore": access.access_write_minutes(request.user, minutes),
                "csrfToken": get_token(request),
            },
            "strings": _history_strings(),
        },
    )


@require_GET
def history_revisions(request: HttpRequest, pk: int) -> HttpResponse:
    """The revisions and their authors, as JSON (the page reloads them after a restore)."""
    try:
        minutes = minutes_history.minutes_for_history(pk, user=request.user)
    except NotAllowed:
        raise Http404 from None
    return JsonResponse(_history_data(minutes_history.list_revisions(minutes.pk)))


@require_GET
def history_revision(request: HttpRequest, pk: int, upto: int) -> HttpResponse:
    """One revision's document (a Yjs update, base64) and its clients' authors, as JSON."""
    try:
        minutes = minutes_history.minutes_for_history(pk, user=request.user)
        content = minutes_history.revision_content(minutes.pk, upto)
    except NotAllowed:
        raise Http404 from None
    return JsonResponse(
        {
            "upto": content.upto,
            "state": base64.b64encode(content.state).decode("ascii"),
            "clients": {str(client): key for client, key in content.clients.items()},
        }
    )


@require_POST
def history_restore(request: HttpRequest, pk: int, upto: int) -> HttpResponse:
    """Store the update (the request's body) that brings revision ``upto`` back."""
    try:
        update_id = minutes_history.restore_revision(
            pk, upto=upto, update=request.body, user=request.user
        )
    except NotAllowed:
        raise Http404 from None
    except MinutesLocked as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=409)
    except InvalidUpdate as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=400)
    return JsonResponse({"update": update_id, "revision": upto})


def _history_data(history: minutes_history.History) -> dict[str, Any]:
    """The revisions for the page's script, with times in the viewer's time zone."""
    times = [timezone.localtime(revision.ended_at) for revision in history.revisions]
    one_day = len({time.date() for time in times}) <= 1

    def label(time: Any) -> str:
        if one_day:
            return formats.date_format(time, "H:i:s")
        day = formats.date_format(time, "SHORT_DATE_FORMAT")
        return f"{day} {formats.date_format(time, 'H:i')}"

    pairs = list(zip(history.revisions, times, strict=True))
    labels = {revision.upto: label(time) for revision, time in pairs}
    return {
        "revisions": [
            {
                "upto": revision.upto,
                "at": time.isoformat(),
                "label": labels[revision.upto],
                "authors": list(revision.authors),
                "restored": labels.get(revision.restored) if revision.restored else None,
            }
            for revision, time in pairs
        ],
        "authors": {
            key: {"name": author.name, "colour": author.colour}
            for key, author in history.authors.items()
        },
    }


def _history_strings() -> dict[str, str]:
    """The words the history script shows or announces, in the page's language
    (with those of the minutes' blocks, which its schema shows)."""
    return {
        **block_strings(),
        "position": gettext("Version %(number)s of %(count)s, %(time)s"),
        "by": gettext("by %(names)s"),
        "restoredFrom": gettext("restores the version of %(time)s"),
        "loading": gettext("Loading this version…"),
        "loadFailed": gettext("This version could not be loaded; try again."),
        "writtenBy": gettext("Written by %(name)s"),
        "current": gettext("This is the current version."),
        "restoring": gettext("Restoring…"),
        "restored": gettext("Restored: the version of %(time)s is the current text again."),
        "unchanged": gettext("The current text is already this version."),
        "restoreFailed": gettext("The version could not be restored; reload the page."),
        "showAll": gettext("Everyone's passages are highlighted."),
        "showOnly": gettext("Only %(name)s's passages are highlighted."),
    }
