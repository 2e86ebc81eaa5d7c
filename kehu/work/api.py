"""Work API: goals, tasks (moves, checklist, comments, dependencies), templates and the
feedback box, on the same selectors and services as the pages.

Writes to a goal or task need the ``version`` read (field or ``If-Match``); a stale write
answers 409 with the record's current values in ``current``.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from kehu.core import scoping
from kehu.core.apisupport import KeysetPagination, parse_if_match, problem
from kehu.core.locking import StaleWriteError
from kehu.core.permissions import has_perm
from kehu.work import reviews, selectors, services
from kehu.work.models import (
    Area,
    ChecklistItem,
    Goal,
    PriorityLabel,
    Proposal,
    Task,
)

router = Router(tags=["work"])


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _require(request: HttpRequest, code: str) -> None:
    if not has_perm(_user(request), code):
        raise HttpError(403, "Permission denied.")


def _version(request: HttpRequest, data: dict[str, Any]) -> int:
    expected = data.pop("version", None) or parse_if_match(request)
    if expected is None:
        raise HttpError(428, "Send the version you read (field `version` or If-Match).")
    return int(expected)


def _conflict(request: HttpRequest, exc: StaleWriteError, current: dict[str, Any]) -> HttpResponse:
    return problem(
        request,
        409,
        "Edit conflict.",
        str(exc.message),
        current_version=exc.current_version,
        current=current,
    )


# ---- schemas -----------------------------------------------------------------------------------


class GoalOut(Schema):
    id: int
    title: str
    description: str
    metric: str
    target_value: Decimal | None
    current_value: Decimal | None
    unit: str
    owner_id: int
    team_id: int | None
    parent_id: int | None
    start_on: dt.date | None
    due_on: dt.date | None
    status: str
    progress: int
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class GoalIn(Schema):
    title: str
    description: str = ""
    metric: str = ""
    target_value: Decimal | None = None
    current_value: Decimal | None = None
    unit: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    parent_id: int | None = None
    start_on: dt.date | None = None
    due_on: dt.date | None = None


class GoalPatch(Schema):
    title: str | None = None
    description: str | None = None
    metric: str | None = None
    target_value: Decimal | None = None
    current_value: Decimal | None = None
    unit: str | None = None
    owner_id: int | None = None
    team_id: int | None = None
    parent_id: int | None = None
    start_on: dt.date | None = None
    due_on: dt.date | None = None
    status: str | None = None
    version: int | None = None


class TaskOut(Schema):
    id: int
    title: str
    description: str
    goal_id: int | None
    customer_id: int | None
    area_id: int | None
    label_id: int | None
    status: str
    progress: int
    progress_mode: str
    parent_id: int | None
    start_on: dt.date | None
    due_on: dt.date | None
    estimate_hours: Decimal | None
    responsible_id: int | None
    collaborator_ids: list[int]
    depends_on_ids: list[int]
    recurrence: str
    remind_at: dt.datetime | None
    position: int
    completed_at: dt.datetime | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class TaskIn(Schema):
    title: str
    description: str = ""
    goal_id: int | None = None
    customer_id: int | None = None
    area_id: int | None = None
    label_id: int | None = None
    status: str = "todo"
    progress: int = 0
    progress_mode: str = "manual"
    parent_id: int | None = None
    start_on: dt.date | None = None
    due_on: dt.date | None = None
    estimate_hours: Decimal | None = None
    responsible_id: int | None = None
    collaborator_ids: list[int] = []
    depends_on_ids: list[int] = []
    recurrence: str = "none"
    remind_at: dt.datetime | None = None


class TaskPatch(Schema):
    title: str | None = None
    description: str | None = None
    goal_id: int | None = None
    customer_id: int | None = None
    area_id: int | None = None
    label_id: int | None = None
    status: str | None = None
    progress: int | None = None
    progress_mode: str | None = None
    parent_id: int | None = None
    start_on: dt.date | None = None
    due_on: dt.date | None = None
    estimate_hours: Decimal | None = None
    responsible_id: int | None = None
    collaborator_ids: list[int] | None = None
    depends_on_ids: list[int] | None = None
    recurrence: str | None = None
    remind_at: dt.datetime | None = None
    position: int | None = None
    version: int | None = None


class MoveIn(Schema):
    status: str | None = None
    position: int | None = None
    responsible_id: int | None = None
    label_id: int | None = None
    start_on: dt.date | None = None
    due_on: dt.date | None = None
    version: int | None = None


class ChecklistOut(Schema):
    id: int
    text: str
    done: bool
    position: int


class ChecklistIn(Schema):
    text: str


class ChecklistPatch(Schema):
    text: str | None = None
    done: bool | None = None


class CommentOut(Schema):
    id: int
    author_id: int | None
    body: str
    mention_ids: list[int]
    created_at: dt.datetime


class CommentIn(Schema):
    body: str


class DependencyIn(Schema):
    depends_on_id: int


class ProposalOut(Schema):
    id: int
    author_id: int | None
    body: str
    status: str
    response: str
    created_at: dt.date
    version: int


class ProposalIn(Schema):
    body: str
    anonymous: bool = False


class ProposalPatch(Schema):
    status: str
    response: str = ""
    version: int | None = None


# ---- helpers -----------------------------------------------------------------------------------


def goal_out(goal: Goal) -> dict[str, Any]:
    return {f: getattr(goal, f) for f in GoalOut.model_fields}


def task_out(task: Task) -> dict[str, Any]:
    data = {f: getattr(task, f) for f in TaskOut.model_fields if hasattr(task, f)}
    data["collaborator_ids"] = sorted(task.collaborators.values_list("pk", flat=True))
    data["depends_on_ids"] = sorted(task.depends_on.values_list("pk", flat=True))
    return data


def _serialize_task(user: Any, task: Task) -> dict[str, Any]:
    return task_out(task)


def _serialize_goal(user: Any, goal: Goal) -> dict[str, Any]:
    return goal_out(goal)


def _person(pk: int | None) -> Any:
    from kehu.accounts.models import User

    if pk is None:
        return None
    person = User.objects.filter(pk=pk, is_active=True).first()
    if person is None:
        raise HttpError(422, "Unknown or inactive user.")
    return person


def _task_relations(user: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Turn the ``*_id`` fields of a payload into records the user may use."""
    from kehu.customers.selectors import customers_visible_to

    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "goal_id":
            out["goal"] = (
                get_object_or_404(selectors.goals_visible_to(user), pk=value) if value else None
            )
        elif key == "customer_id":
            out["customer"] = (
                get_object_or_404(customers_visible_to(user), pk=value) if value else None
            )
        elif key == "area_id":
            out["area"] = get_object_or_404(Area, pk=value) if value else None
        elif key == "label_id":
            out["label"] = get_object_or_404(PriorityLabel, pk=value) if value else None
        elif key == "parent_id":
            out["parent"] = (
                get_object_or_404(selectors.tasks_visible_to(user), pk=value) if value else None
            )
        elif key == "responsible_id":
            out["responsible"] = _person(value)
        elif key == "collaborator_ids":
            out["collaborators"] = [_person(pk) for pk in value or []]
        elif key == "depends_on_ids":
            out["depends_on"] = [
                get_object_or_404(selectors.tasks_visible_to(user), pk=pk) for pk in value or []
            ]
        else:
            out[key] = value
    return out


def _goal_relations(user: Any, data: dict[str, Any]) -> dict[str, Any]:
    from kehu.accounts.models import Team

    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "owner_id":
            if value is not None:
                out["owner"] = _person(value)
        elif key == "team_id":
            out["team"] = get_object_or_404(Team, pk=value) if value else None
        elif key == "parent_id":
            out["parent"] = (
                get_object_or_404(selectors.goals_visible_to(user), pk=value) if value else None
            )
        else:
            out[key] = value
    return out


def _task_for(request: HttpRequest, task_id: int, action: str = "view") -> Task:
    return scoping.get_visible_or_404(Task.objects.all(), _user(request), action, pk=task_id)


# ---- goals -------------------------------------------------------------------------------------


@router.get("/goals", response=list[GoalOut], summary="List goals")
@paginate(KeysetPagination, ordering=["-pk"], serialize=_serialize_goal)
def list_goals(
    request: HttpRequest,
    status: str | None = None,
    team_id: int | None = None,
    parent_id: int | None = None,
    top: bool | None = None,
) -> Any:
    qs = selectors.goals_visible_to(_user(request))
    if status:
        qs = qs.filter(status=status)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    if top:
        qs = qs.filter(parent__isnull=True)
    return qs


@router.post("/goals", response={201: GoalOut}, summary="Create a goal")
def create_goal(request: HttpRequest, payload: GoalIn) -> Any:
    user = _user(request)
    _require(request, "goal.create")
    fields = _goal_relations(user, payload.dict())
    title = fields.pop("title")
    goal = services.create_goal(actor=user, title=title, **fields)
    return Status(201, goal_out(goal))


@router.get("/goals/{goal_id}", response=GoalOut, summary="One goal")
def get_goal(request: HttpRequest, goal_id: int) -> Any:
    return goal_out(selectors.get_goal_for(_user(request), goal_id))


@router.patch(
    "/goals/{goal_id}",
    response=GoalOut,
    summary="Change a goal",
    description="Send the `version` you read (field or `If-Match`); a stale write answers 409 "
    "with the current values in `current`.",
)
def patch_goal(request: HttpRequest, goal_id: int, payload: GoalPatch) -> Any:
    user = _user(request)
    goal = scoping.get_visible_or_404(Goal.objects.all(), user, "change", pk=goal_id)
    data = payload.dict(exclude_unset=True)
    expected = _version(request, data)
    try:
        goal = services.update_goal(
            actor=user, goal=goal, version=expected, **_goal_relations(user, data)
        )
    except StaleWriteError as exc:
        return _conflict(request, exc, goal_out(exc.instance))  # type: ignore[arg-type]
    return goal_out(goal)


@router.delete("/goals/{goal_id}", response={204: None}, summary="Delete a goal")
def delete_goal(request: HttpRequest, goal_id: int) -> Any:
    user = _user(request)
    goal = scoping.get_visible_or_404(Goal.objects.all(), user, "delete", pk=goal_id)
    services.delete_goal(actor=user, goal=goal)
    return Status(204, None)


# ---- tasks -------------------------------------------------------------------------------------


@router.get("/tasks", response=list[TaskOut], summary="List tasks")
@paginate(KeysetPagination, ordering=["-pk"], serialize=_serialize_task)
def list_tasks(
    request: HttpRequest,
    status: str | None = None,
    goal_id: int | None = None,
    responsible_id: int | None = None,
    customer_id: int | None = None,
    area_id: int | None = None,
    due_before: dt.date | None = None,
) -> Any:
    qs = selectors.tasks_visible_to(_user(request)).prefetch_related("collaborators", "depends_on")
    for name, value in (
        ("status", status),
        ("goal_id", goal_id),
        ("responsible_id", responsible_id),
        ("customer_id", customer_id),
        ("area_id", area_id),
    ):
        if value is not None and value != "":
            qs = qs.filter(**{name: value})
    if due_before is not None:
        qs = qs.filter(due_on__lte=due_before)
    return qs


@router.post("/tasks", response={201: TaskOut}, summary="Create a task")
def create_task(request: HttpRequest, payload: TaskIn) -> Any:
    user = _user(request)
    _require(request, "task.create")
    fields = _task_relations(user, payload.dict())
    title = fields.pop("title")
    task = services.create_task(actor=user, title=title, **fields)
    return Status(201, task_out(task))


@router.get("/tasks/{task_id}", response=TaskOut, summary="One task")
def get_task(request: HttpRequest, task_id: int) -> Any:
    return task_out(_task_for(request, task_id))


@router.patch(
    "/tasks/{task_id}",
    response=TaskOut,
    summary="Change a task",
    description="Send the `version` you read (field or `If-Match`); a stale write answers 409 "
    "with the current values in `current`.",
)
def patch_task(request: HttpRequest, task_id: int, payload: TaskPatch) -> Any:
    user = _user(request)
    task = _task_for(request, task_id, "change")
    data = payload.dict(exclude_unset=True)
    expected = _version(request, data)
    try:
        task = services.update_task(
            actor=user, task=task, version=expected, **_task_relations(user, data)
        )
    except StaleWriteError as exc:
        return _conflict(request, exc, task_out(exc.instance))  # type: ignore[arg-type]
    return task_out(task)


@router.delete("/tasks/{task_id}", response={204: None}, summary="Delete a task")
def delete_task(request: HttpRequest, task_id: int) -> Any:
    user = _user(request)
    task = _task_for(request, task_id, "delete")
    services.delete_task(actor=user, task=task)
    return Status(204, None)


@router.post(
    "/tasks/{task_id}/move",
    response=TaskOut,
    summary="Move a task on a board",
    description="Kanban or Gantt drag: any of status, position, responsible, priority and dates. "
    "Without a version the move applies to the task as stored now.",
)
def move_task(request: HttpRequest, task_id: int, payload: MoveIn) -> Any:
    user = _user(request)
    task = _task_for(request, task_id, "change")
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None) or parse_if_match(request)
    relations = _task_relations(user, data)
    try:
        task = services.move_task(actor=user, task=task, version=version, **relations)
    except StaleWriteError as exc:
        return _conflict(request, exc, task_out(exc.instance))  # type: ignore[arg-type]
    return task_out(task)


@router.get("/tasks/{task_id}/checklist", response=list[ChecklistOut], summary="A checklist")
def list_checklist(request: HttpRequest, task_id: int) -> Any:
    return list(_task_for(request, task_id).checklist.all())


@router.post(
    "/tasks/{task_id}/checklist", response={201: ChecklistOut}, summary="Add a checklist item"
)
def add_checklist_item(request: HttpRequest, task_id: int, payload: ChecklistIn) -> Any:
    task = _task_for(request, task_id, "change")
    item = services.add_checklist_item(actor=_user(request), task=task, text=payload.text)
    return Status(201, item)


@router.patch(
    "/tasks/{task_id}/checklist/{item_id}", response=ChecklistOut, summary="Tick or edit an item"
)
def patch_checklist_item(
    request: HttpRequest, task_id: int, item_id: int, payload: ChecklistPatch
) -> Any:
    task = _task_for(request, task_id, "change")
    item = get_object_or_404(ChecklistItem, task=task, pk=item_id)
    return services.update_checklist_item(
        actor=_user(request), item=item, **payload.dict(exclude_unset=True)
    )


@router.delete(
    "/tasks/{task_id}/checklist/{item_id}", response={204: None}, summary="Remove an item"
)
def delete_checklist_item(request: HttpRequest, task_id: int, item_id: int) -> Any:
    task = _task_for(request, task_id, "change")
    item = get_object_or_404(ChecklistItem, task=task, pk=item_id)
    services.delete_checklist_item(actor=_user(request), item=item)
    return Status(204, None)


def _comment_out(comment: Any) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "author_id": comment.author_id,
        "body": comment.body,
        "mention_ids": sorted(u.pk for u in comment.mentions.all()),
        "created_at": comment.created_at,
    }


@router.get("/tasks/{task_id}/comments", response=list[CommentOut], summary="Comments")
def list_comments(request: HttpRequest, task_id: int) -> Any:
    task = _task_for(request, task_id)
    return [_comment_out(c) for c in task.comments.prefetch_related("mentions")]


@router.post(
    "/tasks/{task_id}/comments",
    response={201: CommentOut},
    summary="Comment on a task",
    description="`@username` or `@显示名` notifies that person when they may see the task.",
)
def add_comment(request: HttpRequest, task_id: int, payload: CommentIn) -> Any:
    task = _task_for(request, task_id)
    comment = services.add_comment(actor=_user(request), task=task, body=payload.body)
    return Status(201, _comment_out(comment))


@router.post(
    "/tasks/{task_id}/dependencies",
    response=TaskOut,
    summary="Make a task wait for another",
    description="A dependency that would close a loop answers 422 naming the loop.",
)
def add_dependency(request: HttpRequest, task_id: int, payload: DependencyIn) -> Any:
    task = _task_for(request, task_id, "change")
    other = _task_for(request, payload.depends_on_id)
    services.add_dependency(actor=_user(request), task=task, depends_on=other)
    return task_out(task)


@router.delete(
    "/tasks/{task_id}/dependencies/{depends_on_id}", response=TaskOut, summary="Remove a dependency"
)
def remove_dependency(request: HttpRequest, task_id: int, depends_on_id: int) -> Any:
    task = _task_for(request, task_id, "change")
    other = get_object_or_404(Task, pk=depends_on_id)
    services.remove_dependency(actor=_user(request), task=task, depends_on=other)
    return task_out(task)


# ---- feedback box ------------------------------------------------------------------------------


def _proposal_out(p: Proposal) -> dict[str, Any]:
    return {f: getattr(p, f) for f in ProposalOut.model_fields}


@router.get("/work/proposals", response=list[ProposalOut], summary="The feedback box")
def list_proposals(request: HttpRequest, status: str | None = None) -> Any:
    qs = reviews.proposals_for(_user(request))
    if status:
        qs = qs.filter(status=status)
    return [_proposal_out(p) for p in qs[:500]]


@router.post(
    "/work/proposals",
    response={201: ProposalOut},
    summary="Submit a proposal",
    description="With `anonymous` the author is not stored at all.",
)
def submit_proposal(request: HttpRequest, payload: ProposalIn) -> Any:
    proposal = reviews.submit_proposal(
        actor=_user(request), body=payload.body, anonymous=payload.anonymous
    )
    return Status(201, _proposal_out(proposal))


@router.patch("/work/proposals/{proposal_id}", response=ProposalOut, summary="Answer a proposal")
def respond_to_proposal(request: HttpRequest, proposal_id: int, payload: ProposalPatch) -> Any:
    user = _user(request)
    if not reviews.may_respond(user):
        raise HttpError(403, "Permission denied.")
    proposal = get_object_or_404(reviews.proposals_for(user), pk=proposal_id)
    if payload.status not in Proposal.Status.values:
        raise HttpError(422, "Unknown status.")
    try:
        proposal = reviews.respond_to_proposal(
            actor=user,
            proposal=proposal,
            status=payload.status,
            response=payload.response,
            version=payload.version or parse_if_match(request),
        )
    except StaleWriteError as exc:
        return _conflict(request, exc, _proposal_out(exc.instance))  # type: ignore[arg-type]
    return _proposal_out(proposal)
