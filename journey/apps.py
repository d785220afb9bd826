from django.apps import AppConfig


class JourneyConfig(AppConfig):
    name = "journey"

    def ready(self) -> None:
        from journey.services.evaluation import partnership_evaluate_soon
        from partners.hooks import on_partnership_may_move

        on_partnership_may_move(partnership_evaluate_soon)
