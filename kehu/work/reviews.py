"""The weekly review of a team or a goal, and the feedback box.

A review week starts on the weekday set in ``KEHU_WORK_REVIEW_WEEKDAY`` (0 = Monday, the
default). A review shows, for the week: tasks done, tasks that slipped (due by the week's end
and still open), blocked tasks, and each goal's progress against its metric; notes to each
person are written during the review and copied into the next week's review, marked as
carried, so nobody's follow-up is lost.

Proposals (建议箱): an anonymous proposal stores no author, no team, and publishes its event
without an actor; it has no change history (which would record the submitting user).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.events import Event, publish
from kehu.core.permissions import has_perm
from kehu.work.models import Goal, Proposal, Review, ReviewNote, Task


def review_weekday() -> int:
    return int(getattr(settings, "KEHU_WORK_REVIEW_WEEKDAY", 0)) % 7


def week_start_for(day: dt.date) -> dt.date:
    """The start of the review week holding ``day``."""
    return day - dt.timedelta(days=(day.weekday() - review_weekday()) % 7)


def _scope_tasks(user: Any, team: Any, goal: Goal | None) -> QuerySet[Task]:
    from kehu.work.selectors import tasks_visible_to

    qs = tasks_visible_to(user)
    if goal is not None:
        ids = [g.pk for _d, g in _tree(goal)]
        return qs.filter(goal_id__in=ids)
    if team is not None:
        members = list(team.members.values_list("pk", flat=True))
        return qs.filter(Q(goal__team=team) | Q(responsible_id__in=members))
    return qs.none()


def _tree(goal: Goal) -> list[tuple[int, Goal]]:
    from kehu.work.services import goal_tree

    return goal_tree(goal)


def review_summary(
    user: Any, *, team: Any = None, goal: Goal | None = None, week_start: dt.date
) -> dict[str, Any]:
    """What happened in the week, as the viewer may see it."""
    week_end = week_start + dt.timedelta(days=7)
    tasks = _scope_tasks(user, team, goal).select_related("responsible", "goal", "label")
    start_dt = timezone.make_aware(dt.datetime.combine(week_start, dt.time.min))
    end_dt = timezone.make_aware(dt.datetime.combine(week_end, dt.time.min))
    done = list(
        tasks.filter(status=Task.Status.DONE, completed_at__gte=start_dt, completed_at__lt=end_dt)
    )
    slipped = list(
        tasks.filter(due_on__lt=week_end, due_on__isnull=False)
        .exclude(status=Task.Status.DONE)
        .order_by("due_on")
    )
    blocked = list(tasks.filter(status=Task.Status.BLOCKED).order_by("due_on"))
    if goal is not None:
        goals = [g for _d, g in _tree(goal)]
    elif team is not None:
        goals = list(Goal.objects.filter(team=team, status=Goal.Status.OPEN).order_by("due_on"))
    else:
        goals = []
    return {"done": done, "slipped": slipped, "blocked": blocked, "goals": goals}


@transaction.atomic
def get_or_create_review(
    *, actor: Any, team: Any = None, goal: Goal | None = None, week_start: dt.date
) -> Review:
    """The review of that week, created with the previous review's notes carried over."""
    week_start = week_start_for(week_start)
    review = Review.objects.filter(team=team, goal=goal, week_start=week_start).first()
    if review is not None:
        return review
    review = Review.objects.create(
        team=team, goal=goal, week_start=week_start, created_by=actor, updated_by=actor
    )
    previous = (
        Review.objects.filter(team=team, goal=goal, week_start__lt=week_start)
        .order_by("-week_start")
        .first()
    )
    if previous is not None:
        for note in previous.notes.all():
            ReviewNote.objects.create(
                review=review,
                person_id=note.person_id,
                body=note.body,
                carried_from=note,
                created_by=actor,
            )
    return review


@transaction.atomic
def save_summary(*, actor: Any, review: Review, summary: str) -> Review:
    review.summary = summary.strip()
    review.updated_by = actor
    review.save(update_fields=["summary", "updated_by", "updated_at"])
    return review


@transaction.atomic
def add_note(*, actor: Any, review: Review, person: Any, body: str) -> ReviewNote:
    from kehu.core.services import notify

    note = ReviewNote.objects.create(
        review=review, person=person, body=body.strip(), created_by=actor, updated_by=actor
    )
    notify(
        recipient=person,
        title=_("A note for you from the weekly review"),
        body=note.body[:500],
        url="/work/review/",
        kind="work.review_note",
    )
    return note


def may_write_reviews(user: Any) -> bool:
    return has_perm(user, "goal.change")


def review_context(user: Any, params: Any) -> dict[str, Any]:
    from kehu.accounts.models import Team
    from kehu.work.selectors import goals_visible_to

    try:
        day = dt.date.fromisoformat(params.get("week", ""))
    except ValueError:
        day = timezone.localdate()
    week_start = week_start_for(day)
    team = goal = None
    if params.get("goal"):
        goal = goals_visible_to(user).filter(pk=_int(params.get("goal"))).first()
    elif params.get("team"):
        team = Team.objects.filter(pk=_int(params.get("team"))).first()
    if team is None and goal is None:
        team = user.teams.first()
    summary = review_summary(user, team=team, goal=goal, week_start=week_start)
    review = Review.objects.filter(team=team, goal=goal, week_start=week_start).first()
    notes = list(review.notes.select_related("person", "carried_from")) if review else []
    return {
        "week_start": week_start,
        "prev_week": week_start - dt.timedelta(days=7),
        "next_week": week_start + dt.timedelta(days=7),
        "team": team,
        "goal": goal,
        "teams": list(Team.objects.order_by("name")[:200]),
        "goals": list(goals_visible_to(user).filter(parent__isnull=True).order_by("title")[:200]),
        "review": review,
        "notes": notes,
        "may_write": may_write_reviews(user),
        **summary,
    }


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def open_weekly_reviews(*, today: dt.date | None = None) -> int:
    """On the review weekday: open this week's review of every open top-level goal (carrying
    last week's notes) and tell its owner. Returns how many reviews were opened."""
    from kehu.core.services import notify

    today = today or timezone.localdate()
    if today.weekday() != review_weekday():
        return 0
    opened = 0
    for goal in Goal.objects.filter(status=Goal.Status.OPEN, parent__isnull=True).select_related(
        "owner"
    ):
        if Review.objects.filter(goal=goal, team=None, week_start=today).exists():
            continue
        get_or_create_review(actor=None, goal=goal, week_start=today)
        notify(
            recipient=goal.owner,
            title=_("Weekly review: %(goal)s") % {"goal": goal.title},
            url=f"/work/review/?goal={goal.pk}&week={today.isoformat()}",
            kind="work.review",
        )
        opened += 1
    return opened


# ---- feedback box ------------------------------------------------------------------------------


def may_respond(user: Any) -> bool:
    return has_perm(user, "goal.change")


def proposals_for(user: Any) -> QuerySet[Proposal]:
    """Those who answer proposals see them all; everyone else sees their own (named) ones and
    the ones already accepted or done (anonymous ones they wrote cannot be told apart)."""
    from kehu.core.scoping import restrict

    qs = restrict(Proposal.objects.all(), user).select_related("responded_by", "author")
    if may_respond(user):
        return qs
    return qs.filter(
        Q(author=user) | Q(status__in=[Proposal.Status.ACCEPTED, Proposal.Status.DONE])
    )


@transaction.atomic
def submit_proposal(*, actor: Any, body: str, anonymous: bool = False) -> Proposal:
    from django.core.exceptions import ValidationError

    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write your proposal.")]})
    proposal = Proposal.objects.create(author=None if anonymous else actor, body=body)
    publish(
        Event(
            "proposal.created",
            actor_id=None if anonymous else getattr(actor, "pk", None),
            object_type="proposal",
            object_id=proposal.pk,
            data={"anonymous": anonymous},
        )
    )
    return proposal


@transaction.atomic
def respond_to_proposal(
    *, actor: Any, proposal: Proposal, status: str, response: str = "", version: int | None = None
) -> Proposal:
    from kehu.core.locking import save_versioned
    from kehu.core.services import notify

    proposal.status = status
    proposal.response = response.strip()
    proposal.responded_by = actor
    save_versioned(
        proposal,
        expected_version=version,
        update_fields=["status", "response", "responded_by"],
        user=actor,
    )
    if proposal.author_id:
        notify(
            recipient=proposal.author,
            title=_("Your proposal was answered: %(status)s")
            % {"status": proposal.get_status_display()},
            body=proposal.response[:500],
            url="/work/proposals/",
            kind="work.proposal",
        )
    publish(
        Event("proposal.changed", actor_id=actor.pk, object_type="proposal", object_id=proposal.pk)
    )
    return proposal
