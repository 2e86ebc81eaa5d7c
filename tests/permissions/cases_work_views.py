"""The work boards' routes (kehu/work/urls_views.py): each reads through tasks_visible_to and
writes through the task services; tested in tests/work/test_views_*.py."""

from __future__ import annotations

from typing import Any

from tests.permissions.harness import EXEMPT, RoleCase, register_role_case

EXEMPT.update(
    {
        "workviews:table": "tasks through tasks_visible_to (test_views_table: a rep sees own only)",
        "workviews:table_export": "needs task.export; the same scoped table (test_views_table)",
        "workviews:share_create": "a link to the creator's own view of the table",
        "workviews:share_revoke": "the creator's own links only, 404 for others",
        "workviews:shared_table": "public, guarded by the link's secret; expiring, revocable",
        "workviews:shared_table_xlsx": "public, guarded by the link's secret",
        "workviews:card": "tasks_visible_to, 404 out of scope (test_views_table)",
        "workviews:quick_edit": "task.change in scope, 404/403 otherwise, version checked",
        "workviews:board": "tasks through tasks_visible_to (test_views_board)",
        "workviews:board_move": "task.change in scope, 404 otherwise (test_views_board)",
        "workviews:gantt": "tasks through tasks_visible_to (test_views_pages)",
        "workviews:gantt_data": "tasks through tasks_visible_to (test_views_pages)",
        "workviews:gantt_dates": "task.change in scope, 404 otherwise (test_views_pages)",
        "workviews:mine": "the caller's own tasks within their scope",
        "workviews:calendar": "tasks through tasks_visible_to (test_views_pages)",
        "workviews:workload": "tasks through tasks_visible_to (test_views_pages)",
        "workviews:gaps": "tasks through tasks_visible_to (test_views_pages)",
    }
)


def check_work_setup(role: str, *, client: Any, world: dict[str, Any]) -> None:
    """The work setup page: open to holders of manage_work, 403 to everyone else, and a refused
    write changes nothing."""
    from kehu.core.permissions import combine
    from kehu.work.models import Area
    from tests.conftest import force_login_verified

    actor = world["actor"]
    allowed = combine(list(actor.roles.all())).has("manage_work")
    force_login_verified(client, actor)
    assert client.get("/work/setup/").status_code == (200 if allowed else 403), role
    name = f"领域{role}"
    response = client.post(
        "/work/setup/", {"action": "area", "a-new-name": name, "a-new-position": 1}
    )
    assert response.status_code == (302 if allowed else 403), role
    assert Area.objects.filter(name=name).exists() == allowed, role


register_role_case(RoleCase("work_setup", check_work_setup, routes={"workviews:setup"}))
