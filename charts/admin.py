from django.contrib import admin

from charts.models import ChartVersion, DownloadRecord, ModerationAction, Report, Song, UserBan, Vote


class ChartVersionInline(admin.TabularInline):
    model = ChartVersion
    extra = 0
    fields = ("track", "status", "visibility", "moderation", "created_at")
    readonly_fields = fields
    show_change_link = True


@admin.register(Song)
class SongAdmin(admin.ModelAdmin):
    list_display = ("title", "artist", "owner", "duration_s", "created_at")
    list_filter = ("created_at",)
    search_fields = ("title", "artist", "owner__username", "sha256")
    raw_id_fields = ("owner",)
    inlines = [ChartVersionInline]


@admin.register(ChartVersion)
class ChartVersionAdmin(admin.ModelAdmin):
    list_display = ("song", "track", "status", "visibility", "moderation", "download_count", "score", "created_at")
    list_filter = ("status", "track", "visibility", "moderation", "created_at")
    search_fields = ("song__title", "song__artist", "song__owner__username", "share_token")
    raw_id_fields = ("song",)
    readonly_fields = ("share_token", "download_count", "votes_up", "votes_down", "score", "search_text")


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("version", "reason", "reporter", "status", "created_at", "resolved_by")
    list_filter = ("status", "reason", "created_at")
    search_fields = ("version__song__title", "reporter__username", "text")
    raw_id_fields = ("version", "reporter", "resolved_by")


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ("version", "user", "value", "updated_at")
    list_filter = ("value",)
    search_fields = ("version__song__title", "user__username")
    raw_id_fields = ("version", "user")


@admin.register(UserBan)
class UserBanAdmin(admin.ModelAdmin):
    list_display = ("user", "reason", "banned_by", "created_at")
    list_filter = ("created_at",)
    search_fields = ("user__username", "reason")
    raw_id_fields = ("user", "banned_by")


@admin.register(DownloadRecord)
class DownloadRecordAdmin(admin.ModelAdmin):
    list_display = ("version", "day", "visitor")
    list_filter = ("day",)
    raw_id_fields = ("version",)


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """The audit log: readable by staff, written only by the moderation services."""

    list_display = ("created_at", "actor", "action", "subject", "reason")
    list_filter = ("action", "created_at")
    search_fields = ("subject", "reason", "actor__username", "target_user__username")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
