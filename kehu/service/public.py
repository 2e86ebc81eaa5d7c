"""Pages customers reach without signing in: the satisfaction survey and the inquiry form.

The inquiry form may be embedded in other sites (it alone allows framing). It is guarded by
a per-IP rate limit kept in the cache, a signed arithmetic question that also carries the
moment the form was shown (a minimum fill time), and a honeypot field people never see.
"""

from __future__ import annotations

import random
import time
from typing import Any

from django import forms
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from kehu.service import services
from kehu.service.forms import SurveyForm
from kehu.service.models import Ticket, TicketType

# ---- the survey ---------------------------------------------------------------------------------


def survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invite = services.survey_for_token(token)
    except services.SurveyUnavailable as exc:
        return render(request, "service/survey.html", {"unavailable": exc.message}, status=410)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.answer_survey(
                token=token,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data.get("comment", ""),
            )
        except services.SurveyUnavailable as exc:
            return render(request, "service/survey.html", {"unavailable": exc.message}, status=410)
        return render(request, "service/survey.html", {"thanks": True})
    status = 400 if request.method == "POST" else 200
    return render(
        request, "service/survey.html", {"form": form, "ticket": invite.ticket}, status=status
    )


# ---- the inquiry form ---------------------------------------------------------------------------

CHALLENGE_SALT = "kehu.service.inquiry"
MIN_FILL_SECONDS = 3
MAX_AGE_SECONDS = 2 * 60 * 60
RATE_LIMIT = 5  # inquiries per IP
RATE_WINDOW = 10 * 60  # seconds


def make_challenge(*, issued_at: float | None = None) -> tuple[str, str]:
    """A question ("3 + 4 = ?") and its signed token carrying the answer and the time."""
    a, b = random.randint(1, 9), random.randint(1, 9)
    token = signing.dumps({"a": a, "b": b, "t": issued_at or time.time()}, salt=CHALLENGE_SALT)
    return f"{a} + {b}", token


def check_challenge(token: str, answer: str, *, now: float | None = None) -> str | None:
    """None when the answer is right and the form was filled like a person would; else the
    reason, translated."""
    now = now or time.time()
    try:
        data = signing.loads(token, salt=CHALLENGE_SALT)
    except signing.BadSignature:
        return gettext("The form has expired. Answer the new question below.")
    elapsed = now - float(data["t"])
    if elapsed > MAX_AGE_SECONDS:
        return gettext("The form has expired. Answer the new question below.")
    if elapsed < MIN_FILL_SECONDS:
        return gettext("That was very fast. Please check your answer and send again.")
    if answer.strip() != str(int(data["a"]) + int(data["b"])):
        return gettext("The answer to the question is not right. Try the new one below.")
    return None


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def rate_limited(ip: str) -> bool:
    """Count this attempt; True when the IP has sent too many lately."""
    key = f"kehu:inquiry:{ip}"
    added = cache.add(key, 1, RATE_WINDOW)
    if added:
        return False
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, RATE_WINDOW)
        return False
    return count > RATE_LIMIT


class InquiryForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=100)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Mobile"), max_length=32, required=False)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    type = forms.ChoiceField(label=_("What is it about?"), choices=TicketType.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Your message"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10000
    )
    answer = forms.CharField(label=_("Your answer"), max_length=4)
    challenge = forms.CharField(widget=forms.HiddenInput)
    # A field people never see; robots fill it.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def clean_phone(self) -> str:
        from kehu.customers.validators import normalize_phone

        return normalize_phone(self.cleaned_data.get("phone", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email") and not data.get("phone"):
            raise ValidationError(_("Give an e-mail address or a mobile number so we can answer."))
        return data


def _frameable(response: HttpResponse) -> HttpResponse:
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors *; base-uri 'self'; form-action 'self'; "
        "object-src 'none'"
    )
    return response


@csrf_exempt  # embedded in other sites: no session, guarded by the signed challenge instead
@xframe_options_exempt
def inquiry(request: HttpRequest) -> HttpResponse:
    question, token = make_challenge()
    if request.method != "POST":
        form = InquiryForm(initial={"challenge": token})
        return _frameable(
            render(request, "service/inquiry.html", {"form": form, "question": question})
        )
    form = InquiryForm(request.POST)
    status = 400
    problem = None
    if rate_limited(client_ip(request)):
        problem = gettext("Too many messages from your network just now. Please try again later.")
        status = 429
    elif request.POST.get("website"):
        problem = gettext("Your message could not be sent.")
    elif form.is_valid():
        problem = check_challenge(form.cleaned_data["challenge"], form.cleaned_data["answer"])
        if problem is None:
            ticket = submit_inquiry(**{k: form.cleaned_data[k] for k in INQUIRY_FIELDS})
            return _frameable(render(request, "service/inquiry.html", {"done": ticket}, status=201))
    # Keep everything typed; only the question is new.
    data = request.POST.copy()
    data["challenge"] = token
    data["answer"] = ""
    kept = InquiryForm(data)
    kept.is_valid()
    if problem:
        kept.add_error(None, problem)
    for field, errors in form.errors.items():
        if field not in ("answer", "challenge"):
            for error in errors:
                if error not in kept.errors.get(field, []):
                    kept.add_error(field if field != "__all__" else None, error)
    if "answer" in kept.errors and not form.errors.get("answer"):
        del kept.errors["answer"]
    return _frameable(
        render(request, "service/inquiry.html", {"form": kept, "question": question}, status=status)
    )


INQUIRY_FIELDS = ("name", "email", "phone", "company", "type", "subject", "description")


@transaction.atomic
def submit_inquiry(
    *, name: str, email: str, phone: str, company: str, type: str, subject: str, description: str
) -> Ticket:
    """A ticket from the web form; a sender no contact knows becomes a lead customer."""
    from django.db.models import Q

    from kehu.customers import services as customer_services
    from kehu.customers.models import Contact, Customer

    match = Q()
    if email:
        match |= Q(email__iexact=email)
    if phone:
        match |= Q(mobile=phone) | Q(mobile2=phone)
    contact = Contact.objects.select_related("customer").filter(match).order_by("pk").first()
    customer = contact.customer if contact else None
    if contact is None:
        contact_fields = {"name": name, "email": email, "mobile": phone}
        try:
            customer = customer_services.create_customer_with_contact(
                actor=None,
                customer_fields={
                    "name": company or name,
                    "status": Customer.Status.LEAD,
                    "kind": Customer.Kind.COMPANY if company else Customer.Kind.INDIVIDUAL,
                    "source": str(_("Web form")),
                },
                contact_fields={k: v for k, v in contact_fields.items() if v},
            )
            contact = customer.contacts.first()
        except customer_services.DuplicateCustomer as exc:
            customer = exc.existing
    from kehu.service.selectors import inquiry_team

    return services.open_ticket(
        actor=None,
        team=inquiry_team(),
        subject=subject,
        description=description,
        type=type,
        channel=Ticket.Channel.WEB,
        customer=customer,
        contact=contact,
        requester_name=name,
        requester_email=email,
        requester_phone=phone,
    )
