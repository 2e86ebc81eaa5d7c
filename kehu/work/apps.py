from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkConfig(AppConfig):
    name = "kehu.work"
    label = "work"
    verbose_name = _("Division of labour")

    def ready(self) -> None:
        from kehu.core import permissions, scoping
        from kehu.core.permissions import RecordType
        from kehu.work import models as m

        permissions.register(
            RecordType(
                "goal",
                _("Goals"),
                m.Goal,
                owner_field="owner",
                actions=("view", "create", "change", "delete", "export"),
                restricted_fields=(),
            )
        )
        permissions.register(
            RecordType(
                "task",
                _("Tasks"),
                m.Task,
                owner_field="responsible",
                collaborators_field="collaborators",
                actions=("view", "create", "change", "delete", "export"),
                restricted_fields=(),
            )
        )

        def via_task(qs, user, action):  # type: ignore[no-untyped-def]
            visible = scoping.restrict(m.Task.objects.all(), user, action)
            return qs.filter(task__in=visible.values("pk"))

        for model in (m.ChecklistItem, m.TaskComment, m.TaskAttachment):
            scoping.register(model, via_task)

        def signed_in(qs, user, action):  # type: ignore[no-untyped-def]
            return qs

        # Reference lists, templates, reviews and the feedback box are read by everyone signed
        # in (restrict() already refuses anonymous and inactive users); who may change them is
        # checked by the services.
        for model in (
            m.Area,
            m.PriorityLabel,
            m.WorkTemplate,
            m.WorkerProfile,
            m.WipLimit,
            m.Review,
            m.ReviewNote,
            m.Proposal,
        ):
            scoping.register(model, signed_in)

        from kehu.core.navigation import NavItem, register
        from kehu.work import (  # noqa: F401 - demo step, customer timeline
            demo,
            subscribers,
            views_setup,
        )

        register(NavItem("work_goals", _("Goals"), "work:goals", "target", order=40))
        register(NavItem("work_tasks", _("Tasks"), "work:tasks", "list-checks", order=41))
        register(
            NavItem("work_review", _("Weekly review"), "work:review", "calendar-check", order=48)
        )
        register(
            NavItem("work_proposals", _("Feedback box"), "work:proposals", "lightbulb", order=49)
        )
