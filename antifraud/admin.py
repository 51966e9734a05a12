"""Back-office for the anti-fraud reference data: the case library and the scoring standards."""

from django.contrib import admin

from .models import Criterion, EvaluationRound, FraudCase, ScoringStandard


@admin.register(FraudCase)
class FraudCaseAdmin(admin.ModelAdmin):
    list_display = ["title", "fraud_type", "is_active", "created_at"]
    list_filter = ["fraud_type", "is_active"]
    search_fields = ["title", "summary"]


class CriterionInline(admin.TabularInline):
    """Criteria can be edited only until a round uses the standard: past results keep their rules."""

    model = Criterion
    extra = 0

    def _frozen(self, obj) -> bool:
        return obj is not None and obj.rounds.exists()

    def has_change_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(ScoringStandard)
class ScoringStandardAdmin(admin.ModelAdmin):
    """Read-mostly: a new version is made through the API/service so rounds already opened keep theirs."""

    list_display = ["name", "version", "effective_from", "created_at"]
    inlines = [CriterionInline]
    readonly_fields = ["version"]


@admin.register(EvaluationRound)
class EvaluationRoundAdmin(admin.ModelAdmin):
    list_display = ["month", "standard", "remind_on", "opened_at", "closed_at"]
    fields = ["remind_on"]  # the reminder day of an open round may be moved; nothing else here
