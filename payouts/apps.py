from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "payouts"

    def ready(self) -> None:
        from payouts.selectors.ledger import program_ledger_currency
        from programs.hooks import on_program_currency_held

        on_program_currency_held(program_ledger_currency)
