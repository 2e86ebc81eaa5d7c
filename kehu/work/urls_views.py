"""The work pages: division table, kanban, Gantt, my tasks, calendar, workload, gaps."""

from django.urls import path

from kehu.work import views_board, views_pages, views_settings, views_share, views_table

app_name = "workviews"

urlpatterns = [
    path("table/", views_table.division_table, name="table"),
    path("table/export.xlsx", views_table.export_table, name="table_export"),
    path("table/share/", views_share.create_link, name="share_create"),
    path("table/share/<int:pk>/revoke/", views_share.revoke_link, name="share_revoke"),
    path("shared/<str:token>/", views_share.shared_table, name="shared_table"),
    path("shared/<str:token>/export.xlsx", views_share.shared_table_xlsx, name="shared_table_xlsx"),
    path("cards/<int:pk>/", views_table.task_card, name="card"),
    path("cards/<int:pk>/quick/", views_table.task_quick_edit, name="quick_edit"),
    path("board/", views_board.board, name="board"),
    path("board/move/", views_board.move, name="board_move"),
    path("gantt/", views_pages.gantt, name="gantt"),
    path("gantt/data/", views_pages.gantt_data, name="gantt_data"),
    path("gantt/dates/", views_pages.gantt_dates, name="gantt_dates"),
    path("mine/", views_pages.my_tasks, name="mine"),
    path("calendar/", views_pages.calendar, name="calendar"),
    path("workload/", views_pages.workload, name="workload"),
    path("tasks/<int:pk>/reassign/", views_pages.reassign, name="reassign"),
    path("gaps/", views_pages.gaps, name="gaps"),
    path("setup/", views_settings.work_setup, name="setup"),
]
