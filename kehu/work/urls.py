from django.urls import path

from kehu.work import views

app_name = "work"

urlpatterns = [
    path("tasks/", views.TaskListView.as_view(), name="tasks"),
    path("tasks/new/", views.TaskCreateView.as_view(), name="task_create"),
    path("tasks/<int:pk>/", views.TaskDetailView.as_view(), name="task"),
    path("tasks/<int:pk>/edit/", views.TaskEditView.as_view(), name="task_edit"),
    path("tasks/<int:pk>/history/", views.TaskHistoryView.as_view(), name="task_history"),
    path("tasks/<int:pk>/comment/", views.task_comment, name="task_comment"),
    path("tasks/<int:pk>/checklist/", views.task_checklist, name="task_checklist"),
    path("tasks/<int:pk>/dependency/", views.task_dependency, name="task_dependency"),
    path("tasks/<int:pk>/attachment/", views.task_attachment, name="task_attachment"),
    path(
        "tasks/<int:pk>/attachment/<int:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path("goals/", views.GoalListView.as_view(), name="goals"),
    path("goals/new/", views.GoalCreateView.as_view(), name="goal_create"),
    path("goals/<int:pk>/", views.GoalDetailView.as_view(), name="goal"),
    path("goals/<int:pk>/edit/", views.GoalEditView.as_view(), name="goal_edit"),
    path("goals/<int:pk>/history/", views.GoalHistoryView.as_view(), name="goal_history"),
    path("goals/<int:pk>/save-template/", views.goal_save_template, name="goal_save_template"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<int:pk>/use/", views.template_use, name="template_use"),
    path("review/", views.review_page, name="review"),
    path("proposals/", views.proposal_box, name="proposals"),
    path("proposals/<int:pk>/respond/", views.proposal_respond, name="proposal_respond"),
    # The board pages (division table, kanban, Gantt, my tasks, calendar, workload, gaps) are
    # added below by the board views.
]
