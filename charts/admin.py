from django.contrib import admin

from charts import services
from charts.models import ChartVersion, DownloadRecord, ModerationAction, Report, Song, UserBan, Vote


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only the app's services write (they keep tallies, files and the audit log in step)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ChartVersionInline(admin.TabularInline):
    model = ChartVersion
    extra = 0
    fields = ("track", "status", "visibility", "moderation", "created_at")
    readonly_fields = fields
    show_change_link = True


@admin.register(Song)
class SongAdmin(ReadOnlyAdmin):
    """Songs are uploaded, and deleted with their files, by their owners."""

    list_display = ("title", "artist", "owner", "duration_s", "created_at")
    list_filter = ("created_at",)
    search_fields = ("title", "artist", "owner__username", "sha256")
    inlines = [ChartVersionInline]


@admin.register(ChartVersion)
class ChartVersionAdmin(ReadOnlyAdmin):
    """Moderation and deletion go through the moderation queue and the owner's pages."""

    list_display = ("song", "track", "status", "visibility", "moderation", "download_count", "score", "created_at")
    list_filter = ("status", "track", "visibility", "moderation", "created_at")
    search_fields = ("song__title", "song__artist", "song__owner__username", "share_token")


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("version", "reason", "reporter", "status", "created_at", "resolved_by")
    list_filter = ("status", "reason", "created_at")
    search_fields = ("version__song__title", "reporter__username", "text")


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ("version", "user", "value", "updated_at")
    list_filter = ("value",)
    search_fields = ("version__song__title", "user__username")


@admin.register(UserBan)
class UserBanAdmin(admin.ModelAdmin):
    """Bans are made from the moderation queue; deleting one here lifts it, in the audit log."""

    list_display = ("user", "reason", "banned_by", "created_at")
    list_filter = ("created_at",)
    search_fields = ("user__username", "reason")
    raw_id_fields = ("user", "banned_by")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj: UserBan) -> None:
        services.user_unban(actor=request.user, user=obj.user)

    def delete_queryset(self, request, queryset) -> None:
        for ban in queryset.select_related("user"):
            services.user_unban(actor=request.user, user=ban.user)


@admin.register(DownloadRecord)
class DownloadRecordAdmin(ReadOnlyAdmin):
    list_display = ("version", "day", "visitor")
    list_filter = ("day",)


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin):
    """The audit log: readable by staff, written only by the moderation services."""

    list_display = ("created_at", "actor", "action", "subject", "reason")
    list_filter = ("action", "created_at")
    search_fields = ("subject", "reason", "actor__username", "target_user__username")
