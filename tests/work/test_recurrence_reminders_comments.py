"""Recurring tasks, reminders sent once, @mentions, attachments."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kehu.core.models import Notification
from kehu.work import services
from kehu.work.models import Task


def test_completing_a_recurring_task_creates_the_next_once(user: Any, other_user: Any) -> None:
    task = services.create_task(
        actor=user,
        title="周报",
        responsible=user,
        collaborators=[other_user],
        recurrence="weekly",
        start_on=dt.date(2026, 3, 2),
        due_on=dt.date(2026, 3, 6),
        progress_mode="checklist",
    )
    services.add_checklist_item(actor=user, task=task, text="汇总")
    services.update_task(actor=user, task=task, version=task.version, status="done")
    successor = Task.objects.get(recurs_from=task)
    assert (successor.start_on, successor.due_on) == (dt.date(2026, 3, 9), dt.date(2026, 3, 13))
    assert successor.status == "todo" and successor.responsible == user
    assert list(successor.collaborators.all()) == [other_user]
    assert [(c.text, c.done) for c in successor.checklist.all()] == [("汇总", False)]
    # Re-open and complete again: no second successor.
    task.refresh_from_db()
    services.update_task(actor=user, task=task, version=task.version, status="doing")
    services.update_task(actor=user, task=task, version=task.version, status="done")
    assert Task.objects.filter(title="周报").count() == 2


def test_monthly_recurrence_keeps_the_month_end(user: Any) -> None:
    task = services.create_task(
        actor=user, title="月结", recurrence="monthly", due_on=dt.date(2026, 1, 31)
    )
    services.update_task(actor=user, task=task, version=task.version, status="done")
    assert Task.objects.get(recurs_from=task).due_on == dt.date(2026, 2, 28)


def test_non_recurring_task_has_no_successor(user: Any) -> None:
    task = services.create_task(actor=user, title="一次", due_on=dt.date(2026, 1, 31))
    services.update_task(actor=user, task=task, version=task.version, status="done")
    assert Task.objects.count() == 1


def test_reminders_are_sent_once(user: Any, other_user: Any) -> None:
    now = timezone.now()
    due = services.create_task(
        actor=user,
        title="提醒我",
        responsible=user,
        collaborators=[other_user],
        remind_at=now - dt.timedelta(minutes=1),
    )
    services.create_task(
        actor=user, title="以后", responsible=user, remind_at=now + dt.timedelta(hours=1)
    )
    services.create_task(
        actor=user,
        title="已完成",
        responsible=user,
        status="done",
        remind_at=now - dt.timedelta(hours=1),
    )
    assert services.send_due_reminders(now=now) == 1
    notes = Notification.objects.filter(kind="work.reminder")
    assert {n.recipient for n in notes} == {user, other_user}
    assert all("提醒我" in n.title for n in notes)
    assert services.send_due_reminders(now=now) == 0
    assert Notification.objects.filter(kind="work.reminder").count() == 2
    due.refresh_from_db()
    assert due.reminded_at is not None


def test_reminder_job_runs_the_service(user: Any) -> None:
    from kehu.work import tasks as jobs

    services.create_task(
        actor=user,
        title="job",
        responsible=user,
        remind_at=timezone.now() - dt.timedelta(seconds=5),
    )
    jobs.send_task_reminders.call_local()
    assert Notification.objects.filter(kind="work.reminder", recipient=user).count() == 1


def test_mentions_notify_people_who_can_see_the_task(user: Any, make_user: Any) -> None:
    director = make_user("zhangwei", display_name="张伟", roles=("sales_director",))
    outsider = make_user("wangfang", display_name="王芳", roles=("sales_rep",))
    task = services.create_task(actor=user, title="投诉跟进", responsible=user)
    comment = services.add_comment(
        actor=user, task=task, body="请 @张伟 和 @wangfang 看一下, @nobody 不存在"
    )
    assert list(comment.mentions.all()) == [director]
    note = Notification.objects.get(recipient=director)
    assert "投诉跟进" in note.title and note.url == task.get_absolute_url()
    assert not Notification.objects.filter(recipient=outsider).exists()
    with pytest.raises(ValidationError):
        services.add_comment(actor=user, task=task, body=" ")


def test_attachments_checked_by_size_and_type(user: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    task = services.create_task(actor=user, title="附件")
    ok = services.add_attachment(
        actor=user, task=task, upload=SimpleUploadedFile("方案.pdf", b"%PDF-1.4 hello")
    )
    assert ok.size == len(b"%PDF-1.4 hello") and ok.name == "方案.pdf"
    with pytest.raises(ValidationError):
        services.add_attachment(
            actor=user, task=task, upload=SimpleUploadedFile("run.exe", b"MZ\x90\x00")
        )
    with pytest.raises(ValidationError):
        services.add_attachment(
            actor=user, task=task, upload=SimpleUploadedFile("fake.pdf", b"MZ\x90\x00")
        )
    big = SimpleUploadedFile("big.txt", b"x")
    big.size = services.ATTACHMENT_MAX_BYTES + 1
    with pytest.raises(ValidationError):
        services.add_attachment(actor=user, task=task, upload=big)
    assert task.attachments.count() == 1
