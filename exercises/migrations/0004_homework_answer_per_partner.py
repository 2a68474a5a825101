"""Homework is answered by each partner it is for, not once for both: the one shared state
becomes one answer per partner. An answer given before keeps its meaning — it becomes the part
of the partner who gave it (with its date and comment); the other partner's part is still to do."""

from __future__ import annotations

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def answers_from_shared_state(apps: object, schema_editor: object) -> None:
    Homework = apps.get_model("exercises", "Homework")
    HomeworkAnswer = apps.get_model("exercises", "HomeworkAnswer")
    answered = Homework.objects.exclude(state="open").filter(answered_by__isnull=False)
    HomeworkAnswer.objects.bulk_create(
        HomeworkAnswer(
            homework_id=h.pk,
            partner_id=h.answered_by_id,
            state=h.state,
            comment=h.comment,
            answered_at=h.answered_at or h.created_at,
        )
        for h in answered.iterator()
    )


def shared_state_from_answers(apps: object, schema_editor: object) -> None:
    Homework = apps.get_model("exercises", "Homework")
    HomeworkAnswer = apps.get_model("exercises", "HomeworkAnswer")
    for answer in HomeworkAnswer.objects.order_by("answered_at").iterator():
        # The latest answer stands for the whole homework, as before.
        Homework.objects.filter(pk=answer.homework_id).update(
            state=answer.state,
            comment=answer.comment,
            answered_by_id=answer.partner_id,
            answered_at=answer.answered_at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("exercises", "0003_traits_wounds_surprises"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="HomeworkAnswer",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("state", models.CharField(choices=[("done", "Done"), ("did_not_fit", "Did not fit")], max_length=12)),
                ("comment", models.CharField(blank=True, max_length=1000)),
                ("answered_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("homework", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="answers", to="exercises.homework")),
                ("partner", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["answered_at", "id"],
                "constraints": [models.UniqueConstraint(fields=("homework", "partner"), name="homework_answer_once")],
            },
        ),
        migrations.RunPython(answers_from_shared_state, shared_state_from_answers),
        migrations.RemoveField(model_name="homework", name="answered_at"),
        migrations.RemoveField(model_name="homework", name="answered_by"),
        migrations.RemoveField(model_name="homework", name="comment"),
        migrations.RemoveField(model_name="homework", name="state"),
    ]  # fmt: skip
