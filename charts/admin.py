from django.contrib import admin

from charts.models import ChartVersion, Song


class ChartVersionInline(admin.TabularInline):
    model = ChartVersion
    extra = 0
    fields = ("track", "status", "stage", "progress", "created_at")
    readonly_fields = fields


@admin.register(Song)
class SongAdmin(admin.ModelAdmin):
    list_display = ("title", "artist", "owner", "duration_s", "created_at")
    search_fields = ("title", "artist", "owner__username")
    inlines = [ChartVersionInline]


@admin.register(ChartVersion)
class ChartVersionAdmin(admin.ModelAdmin):
    list_display = ("song", "track", "status", "stage", "created_at", "finished_at")
    list_filter = ("status", "track")
