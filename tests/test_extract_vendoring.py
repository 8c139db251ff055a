"""A service that imports completely (issue 13): what the moved code imports from staying code is
vendored (pure modules, transitively, at their own dotted path), cut (a staying model becomes a reference
by id) or an explicit stand-in with a plan item, never a dangling import.

One small hand-written project, built in a temporary folder: the app ``proj.sub.billing`` (label
``billing``, nested in a namespace folder ``proj/sub``) moves; ``core`` stays."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from projects import MANAGE_PY, write_project

from decompose.cli import cli
from decompose.extract.plan import build_plan

PROJECT = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": '__version__ = "1.0"\n',
    "proj/settings.py": """
        INSTALLED_APPS = [
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.admin",
            "django.contrib.sessions",
            "django.contrib.messages",
            "core",
            "proj.sub.billing",
        ]
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
        LABEL_PREFIX = "L-"
    """,
    "proj/urls.py": """
        urlpatterns = []
    """,
    "core/__init__.py": "",
    "core/apps.py": """
        from django.apps import AppConfig


        class CoreConfig(AppConfig):
            name = "core"
    """,
    "core/models.py": """
        from django.db import models


        class Customer(models.Model):
            name = models.CharField(max_length=50)


        class AuditMixin:
            def audit(self) -> str:
                return f"audit {self.pk}"


        class Audited(AuditMixin, models.Model):
            class Meta:
                abstract = True
    """,
    # a Signal class of the monolith that reads staying data when sending: never copied
    "core/dispatch.py": """
        from django.dispatch import Signal

        from core.models import Customer


        class CustomerSignal(Signal):
            def send(self, sender, **named):
                if not Customer.objects.filter(pk=sender).exists():
                    return []
                return super().send(sender, **named)


        customer_changed = CustomerSignal()


        def at_most_every(minutes):
            def decorate(func):
                func.interval = minutes
                return func

            return decorate
    """,
    "proj/sub/billing/signals.py": """
        from django.dispatch import receiver

        from core.dispatch import CustomerSignal, at_most_every, customer_changed

        invoice_issued = CustomerSignal()


        @receiver(customer_changed)
        @at_most_every(15)
        def remind(sender, **kwargs):
            return sender
    """,
    # a pure helper chain: helpers -> text -> constants (each imports the next)
    "core/constants.py": """
        PREFIX = "INV"
    """,
    "core/text.py": """
        from core.constants import PREFIX


        def label(number: int) -> str:
            return f"{PREFIX}-{number:05d}"
    """,
    "core/helpers.py": """
        from core.text import label

        CURRENCY = "EUR"


        def invoice_label(number: int) -> str:
            return label(number)
    """,
    # a staying module that reads staying data: no pure helper, never copied (its function is called back)
    "core/lookups.py": """
        from core.models import Customer
        from core.text import label


        def customer_name(pk: int) -> str:
            return Customer.objects.get(pk=pk).name
    """,
    # a staying inline base class the moved admin subclasses (pure: nothing registered at import)
    "core/inlines.py": """
        from django.contrib import admin

        from core.text import label


        class ReadOnlyInline(admin.TabularInline):
            extra = 0
            can_delete = False

            def title(self, obj):
                return label(obj.pk)
    """,
    # an abstract base whose own bases are mixins of its module and of another staying module
    "core/mixins.py": """
        from django.db import models

        from core.logs import LogMixin


        class TimestampedModel(models.Model):
            created = models.DateTimeField(auto_now_add=True)

            class Meta:
                abstract = True


        class CoreModel(LogMixin, TimestampedModel):
            class Meta:
                abstract = True
    """,
    "core/logs.py": """
        import logging

        log = logging.getLogger(__name__)


        class LogMixin:
            def log_action(self, action: str) -> None:
                log.info("%s %s", self, action)
    """,
    # the monolith's own admin site, with pages that read staying data, registering at import
    "core/sites.py": """
        from django.contrib import admin

        from core.models import Customer


        class CoreSite(admin.AdminSite):
            site_header = "Core"

            def customers(self):
                return Customer.objects.count()


        core_site = CoreSite(name="core")
        core_site.register(Customer)
    """,
    # a model a third-party library builds from its own base class (not known to the analysis as a model)
    "core/prefs.py": """
        from hierarkey.models import GlobalSettingsBase

        PAGE_SIZE = 20


        class GlobalPrefs(GlobalSettingsBase):
            pass
    """,
    # permission predicates (decorated functions: objects combined with & at import) beside one that
    # reads staying data
    "core/predicates.py": """
        class Predicate:
            def __init__(self, fn):
                self.fn = fn

            def __call__(self, *args):
                return self.fn(*args)

            def __and__(self, other):
                return Predicate(lambda *args: self(*args) and other(*args))


        def predicate(fn):
            return Predicate(fn)
    """,
    "core/rules.py": """
        from core.models import Customer
        from core.predicates import predicate


        @predicate
        def is_staff(user, obj=None):
            return bool(getattr(user, "is_staff", False))


        @predicate
        def owns_customer(user, obj=None):
            return Customer.objects.filter(pk=getattr(obj, "customer_id", None)).exists()
    """,
    # a validator module that also reads a staying model (not a shared kernel): a migration imports it
    "core/validators.py": """
        from django.core.exceptions import ValidationError

        from core.models import Customer


        def positive(value):
            if value < 0:
                raise ValidationError("negative")


        def known_customer(value):
            if not Customer.objects.filter(pk=value).exists():
                raise ValidationError("unknown customer")
    """,
    # registers a staying model at import: cannot be copied
    "core/admin.py": """
        from django.conf import settings
        from django.contrib import admin

        from core.models import Customer
        from core.text import label


        class LabelMixin:
            def label(self, obj):
                return settings.LABEL_PREFIX + label(obj.pk)


        class CustomerAdmin(LabelMixin, admin.ModelAdmin):
            list_display = ("name",)

            def get_queryset(self, request):
                return Customer.objects.all()


        admin.site.register(Customer, CustomerAdmin)
    """,
    "proj/sub/billing/__init__.py": "",
    "proj/sub/billing/apps.py": """
        from django.apps import AppConfig


        class BillingConfig(AppConfig):
            name = "proj.sub.billing"
            label = "billing"
    """,
    "proj/sub/billing/models.py": """
        from django.db import models

        from core.mixins import CoreModel
        from core.rules import is_staff
        from core.models import Audited
        from core.validators import positive


        class Invoice(CoreModel):
            number = models.IntegerField(validators=[positive])
            customer = models.ForeignKey("core.Customer", on_delete=models.CASCADE)

            can_send = is_staff & is_staff  # a decorated staying function used at import


        class Line(Audited):
            invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE)
            amount = models.IntegerField()
    """,
    "proj/sub/billing/admin.py": """
        from django.contrib import admin

        from core.admin import CustomerAdmin, LabelMixin
        from core.helpers import CURRENCY, invoice_label
        from core.inlines import ReadOnlyInline
        from core.prefs import PAGE_SIZE
        from core.sites import core_site
        from core.lookups import customer_name
        from proj.sub.billing.models import Invoice, Line


        class LineInline(ReadOnlyInline):
            model = Line


        @admin.register(Invoice)
        class InvoiceAdmin(LabelMixin, admin.ModelAdmin):
            inlines = [LineInline]

            list_per_page = PAGE_SIZE

            def currency(self, obj):
                return CURRENCY

            def title(self, obj):
                return invoice_label(obj.number)

            def customer(self, obj):
                return customer_name(obj.customer_id)

            def customer_columns(self):
                return CustomerAdmin.list_display


        core_site.register(Invoice, InvoiceAdmin)
    """,
    "proj/sub/billing/migrations/__init__.py": "",
    "proj/sub/billing/migrations/0001_initial.py": """
        import django.db.models.deletion
        from django.db import migrations, models

        import core.validators


        class Migration(migrations.Migration):
            initial = True
            dependencies = [("core", "0001_initial")]
            operations = [
                migrations.CreateModel(
                    name="Invoice",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        ("number", models.IntegerField(validators=[core.validators.positive])),
                        (
                            "customer",
                            models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="core.customer"),
                        ),
                    ],
                    options={"abstract": False},
                ),
                migrations.CreateModel(
                    name="Line",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("amount", models.IntegerField()),
                        (
                            "invoice",
                            models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="billing.invoice"),
                        ),
                    ],
                ),
            ]
    """,
    "core/migrations/__init__.py": "",
    "core/migrations/0001_initial.py": """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [
                migrations.CreateModel(
                    name="Customer",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=50)),
                    ],
                ),
            ]
    """,
}


def _project(root: Path) -> Path:
    return write_project(root, PROJECT)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _project(tmp_path_factory.mktemp("mono"))
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(
        cli, ["extract", str(root), "--service", "billing", "--apps", "billing", "--out", str(out), "--no-rewire"]
    )
    assert result.exit_code == 0, result.output
    return out / "billing"


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return build_plan(_project(tmp_path_factory.mktemp("mono")), "billing", ["billing"])


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out += [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names]
    return out


def test_the_moved_admins_staying_helpers_are_vendored_transitively(plan, service: Path) -> None:  # type: ignore[no-untyped-def]
    """The admin imports a staying inline class and a helper module; each is copied at its own path
    with what it imports in turn (helpers -> text -> constants), and the imports do not change."""
    copied = {*plan.service_rewrites.vendored, *plan.shared_kernel}
    for mod in ("core.inlines", "core.helpers", "core.text", "core.constants"):
        assert mod in copied, mod
        assert (service / (mod.replace(".", "/") + ".py")).is_file(), mod
    admin = service / "proj/sub/billing/admin.py"
    assert "core.inlines.ReadOnlyInline" in _imports(admin)
    assert "core.helpers.CURRENCY" in _imports(admin)
    assert "TODO(decompose): core.helpers.CURRENCY" not in admin.read_text()
    # a staying module that imports a staying model reads the monolith's data: it is not copied (the
    # sample's notifications copied orders.services -> cart -> pricing and failed at import on a
    # stand-in's Coupon.Kind); the function the admin uses from it is called back
    assert "core.lookups" not in copied
    assert not (service / "core/lookups.py").exists()
    assert "core.lookups.customer_name" not in _imports(admin)
    assert "core.lookups.customer_name" in {cb.qualname for cb in plan.service_rewrites.callbacks}


def test_what_cannot_be_vendored_is_a_stand_in_with_a_plan_item(plan, service: Path) -> None:  # type: ignore[no-untyped-def]
    """core.admin registers a staying model at import and CustomerAdmin queries it: never copied; the
    service imports a stand-in that raises when used, the import carries a TODO and the plan lists it."""
    rw = plan.service_rewrites
    assert "core.admin" not in rw.vendored
    assert "core.admin.CustomerAdmin" in rw.stand_ins
    text = (service / "proj/sub/billing/admin.py").read_text()
    assert "billing_service.monolith.CustomerAdmin" in _imports(service / "proj/sub/billing/admin.py")
    assert "core.admin.CustomerAdmin" not in _imports(service / "proj/sub/billing/admin.py")
    assert "TODO(decompose): core.admin.CustomerAdmin stays in the monolith" in text
    steps = [s for s in plan.manual_steps if s.pattern == "vendor" and "core.admin.CustomerAdmin" in s.message]
    assert [s.path for s in steps] == ["proj/sub/billing/admin.py"]
    assert (
        "CustomerAdmin = _StandIn('core.admin.CustomerAdmin'" in (service / "billing_service/monolith.py").read_text()
    )


def test_a_pure_definition_of_a_module_that_cannot_be_copied_is_copied_alone(plan, service: Path) -> None:  # type: ignore[no-untyped-def]
    """core.admin registers a staying model and CustomerAdmin queries it; LabelMixin, beside them, uses
    neither: the service gets a core/admin.py holding LabelMixin alone (and label's import)."""
    assert plan.service_rewrites.slices["core.admin"] == ("LabelMixin",)
    text = (service / "core/admin.py").read_text()
    assert "class LabelMixin:" in text and "from core.text import label" in text
    assert "CustomerAdmin" not in text and "admin.site.register" not in text and "core.models" not in text
    assert "core.admin.LabelMixin" in _imports(service / "proj/sub/billing/admin.py")
    # the settings the copied definitions read are carried into the service's settings
    assert 'LABEL_PREFIX = "L-"' in (service / "billing_service/settings.py").read_text()


def test_a_decorated_staying_function_is_copied_not_called_back(plan, service: Path) -> None:  # type: ignore[no-untyped-def]
    """is_staff is a predicate object (the decorator's result) combined with & at import: a call back over
    HTTP would be a plain function there. Its module reads staying data elsewhere (owns_customer), so
    is_staff is copied alone."""
    rw = plan.service_rewrites
    assert rw.slices.get("core.rules") == ("is_staff",)
    assert all(c.qualname != "core.rules.is_staff" for c in rw.callbacks)
    assert "core.rules.is_staff" in _imports(service / "proj/sub/billing/models.py")
    assert "owns_customer" not in (service / "core/rules.py").read_text()
    assert "core.predicates" in {*rw.vendored, *plan.shared_kernel}


def test_an_admin_site_of_the_monolith_is_one_of_the_service(plan, service: Path) -> None:  # type: ignore[no-untyped-def]
    """The moved admin registers with the monolith's own admin site (whose pages read staying data): the
    service gets an admin site of the same name to register with, and the plan says so."""
    assert plan.service_rewrites.admin_sites == {"core.sites.core_site": "core"}
    assert "billing_service.monolith.core_site" in _imports(service / "proj/sub/billing/admin.py")
    assert "core_site = _Lazy(lambda: _admin_site('core'))" in (service / "billing_service/monolith.py").read_text()
    assert any(s.pattern == "vendor" and "core.sites.core_site" in s.message for s in plan.manual_steps)


def test_a_signal_class_of_the_monolith_is_a_plain_signal_of_the_service(plan, service: Path) -> None:  # type: ignore[no-untyped-def]
    """pretalx's moved mail signals are EventPluginSignal()s, a Signal class that reads event.Event: the
    service's check failed with StaysInMonolith when the moved module made its signals (the stand-in raises)."""
    assert list(plan.service_rewrites.signal_classes) == ["core.dispatch.CustomerSignal"]
    assert "core.dispatch.CustomerSignal" not in plan.service_rewrites.stand_ins
    assert "billing_service.monolith.CustomerSignal" in _imports(service / "proj/sub/billing/signals.py")
    assert "class CustomerSignal(_Signal):" in (service / "billing_service/monolith.py").read_text()


def test_a_staying_decorator_the_moved_code_applies_at_import_is_copied_not_called_back(plan, service: Path) -> None:  # type: ignore[no-untyped-def]
    """pretalx's moved receivers are decorated with @minimum_interval(15) of a module that reads staying data: as
    a call back, importing them called the monolith over HTTP (MonolithUnavailable in the service's check)."""
    cls = {(d.module, d.symbol): d.classification for d in plan.dependencies}
    assert cls[("core.dispatch", "at_most_every")] == "contract"
    assert "at_most_every" in plan.service_rewrites.slices.get("core.dispatch", ())
    assert "core.dispatch.at_most_every" in _imports(service / "proj/sub/billing/signals.py")
    assert "def at_most_every(minutes):" in (service / "core/dispatch.py").read_text()


def test_a_signal_made_by_a_signal_class_of_the_monolith_is_bridged(plan, service: Path) -> None:  # type: ignore[no-untyped-def]
    """pretalx's periodic_task = EventPluginSignal() was not known as a signal (only Signal() calls were): the moved
    receivers connected to a stand-in, which failed at import."""
    cls = {(d.module, d.symbol): d.classification for d in plan.dependencies}
    assert cls[("core.dispatch", "customer_changed")] == "bridge"
    assert "core.dispatch.customer_changed" in plan.service_rewrites.signal_copies
    assert "core.dispatch.customer_changed" not in plan.service_rewrites.stand_ins


def test_a_class_of_a_third_party_model_base_is_never_copied(plan, service: Path) -> None:  # type: ignore[no-untyped-def]
    """core.prefs defines a class of hierarkey.models.GlobalSettingsBase (a library that makes it a model
    at import): the module is not copied whole, only the constant the moved admin uses."""
    assert "core.prefs" not in plan.service_rewrites.vendored
    assert plan.service_rewrites.slices["core.prefs"] == ("PAGE_SIZE",)
    assert "GlobalPrefs" not in (service / "core/prefs.py").read_text()


def test_an_abstract_base_keeps_its_own_bases(plan, service: Path) -> None:  # type: ignore[no-untyped-def]
    """The abstract base's module is pure: it is copied whole (with the mixin module it imports), not
    cut down into bases.py without its bases."""
    rw = plan.service_rewrites
    copied = {*rw.vendored, *plan.shared_kernel}
    assert "core.mixins" in copied and "core.logs" in copied
    assert "core.mixins.CoreModel" not in rw.abstract_bases
    assert "CoreModel" not in (service / "billing_service/bases.py").read_text()
    assert "core.mixins.CoreModel" in _imports(service / "proj/sub/billing/models.py")


def test_an_abstract_base_of_a_models_module_is_copied_with_its_mixins(plan, service: Path) -> None:  # type: ignore[no-untyped-def]
    """core.models defines a staying model, so it is not copied whole: its abstract base goes to bases.py,
    with the mixin it inherits from, defined beside it."""
    assert "core.models.Audited" in plan.service_rewrites.abstract_bases
    bases = (service / "billing_service/bases.py").read_text()
    assert "class AuditMixin:" in bases and "class Audited(AuditMixin, models.Model):" in bases
    assert bases.index("class AuditMixin:") < bases.index("class Audited(")
    assert "billing_service.bases.Audited" in _imports(service / "proj/sub/billing/models.py")


def test_a_migration_importing_a_staying_helper_gets_it(plan, service: Path) -> None:  # type: ignore[no-untyped-def]
    assert "core.validators" in plan.service_rewrites.vendored
    assert (service / "core/validators.py").is_file()
    assert "core.validators" in _imports(service / "proj/sub/billing/migrations/0001_initial.py")


def test_parents_of_a_nested_app_are_regular_packages(plan, service: Path) -> None:  # type: ignore[no-untyped-def]
    """proj/sub is a namespace folder in the monolith; in the service it gets an __init__.py (an installed
    monolith would otherwise shadow the service's proj.sub.billing); so does proj, whose names nobody
    imports."""
    assert "proj/sub/__init__.py" in plan.service_rewrites.packages
    assert (service / "proj/sub/__init__.py").is_file()
    assert "proj/__init__.py" in plan.service_rewrites.packages  # nothing imports a name of it
    # the settings module and the URLconf of the monolith are never copied
    assert not (service / "proj/settings.py").exists() and not (service / "proj/urls.py").exists()


def test_the_generated_test_imports_passes(service: Path, tmp_path: Path) -> None:
    """The service's own test_imports.py imports every module of the service (vendored ones included)."""
    pytest.importorskip("django")
    pytest.importorskip("rest_framework")
    pytest.importorskip("pytest_django")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "PYTHONPATH"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PYTHONDONTWRITEBYTECODE="1",
        DJANGO_SECRET_KEY="vendoring-test-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ",
        DECOMPOSE_IDENTITY_KEY="vendoring-identity-key-0123456789-abcdefghij",
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "billing_service/tests/test_imports.py"],
        cwd=service,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "core.helpers" in (service / "billing_service/tests/test_imports.py").read_text()
    for args in (["check"], ["makemigrations", "--check", "--dry-run"]):
        run = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=service, env=env, capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 0, run.stdout + run.stderr


def test_a_service_layer_that_reads_staying_data_is_called_back_not_copied() -> None:
    """The sample's notifications receivers use orders.services.order_page_url: orders.services queries
    orders' models and imports cart and pricing services, so copying it pulled three apps' business
    logic into the service, which then failed at import (Order.Status on a reference-by-id stand-in)."""
    root = Path(__file__).resolve().parents[1] / "sample_monolith"
    plan = build_plan(root, "notifications", ["notifications"])
    vendored = set(plan.service_rewrites.vendored)
    assert not {"orders.services", "cart.services", "pricing.services"} & vendored, sorted(vendored)
    assert "orders.services.order_page_url" in {cb.qualname for cb in plan.service_rewrites.callbacks}


def test_an_abstract_model_with_a_mixin_of_a_third_party_models_module_is_copied(tmp_path: Path) -> None:
    """rules.contrib.models.RulesModelMixin is a mixin, not a model: the abstract base built on it (pretalx's
    PretalxModel) is copied whole with its module, not treated as a third-party model."""
    files = {
        "manage.py": PROJECT["manage.py"],
        "proj/__init__.py": "",
        "proj/settings.py": PROJECT["proj/settings.py"],
        "core/__init__.py": "",
        "core/models.py": PROJECT["core/models.py"],
        "core/mixins.py": """
            from django.db import models
            from rules.contrib.models import RulesModelBase, RulesModelMixin


            class Base(RulesModelMixin, models.Model, metaclass=RulesModelBase):
                class Meta:
                    abstract = True
        """,
        "proj/sub/billing/__init__.py": "",
        "proj/sub/billing/apps.py": PROJECT["proj/sub/billing/apps.py"],
        "proj/sub/billing/models.py": """
            from django.db import models

            from core.mixins import Base


            class Invoice(Base):
                number = models.IntegerField()
                customer = models.ForeignKey("core.Customer", on_delete=models.CASCADE)  # core is no kernel app
        """,
    }
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"))
    plan = build_plan(tmp_path, "billing", ["billing"])
    assert "core.mixins" in {*plan.service_rewrites.vendored, *plan.shared_kernel}
    assert "core.mixins.Base" not in plan.service_rewrites.abstract_bases


def test_a_staying_function_reading_a_staying_apps_config_is_called_back_not_copied(tmp_path: Path) -> None:
    """django-crm chat: the moved admin sends its notification with common.utils.helpers.send_crm_email, which is
    ``apps.get_app_config('common').nes.send_msg(...)`` (a mail sender thread common's ready() starts). Its module
    is a pure helper module copied whole, and the function was used from that copy, where the service has no app
    'common' (LookupError). A function that looks up a staying app's configuration is called back; its pure
    neighbours still come from the copy, and looking up an app the service has (a contrib app) is pure."""
    files = {
        "manage.py": PROJECT["manage.py"],
        "proj/__init__.py": "",
        "proj/settings.py": PROJECT["proj/settings.py"],
        "core/__init__.py": "",
        "core/apps.py": PROJECT["core/apps.py"],
        "core/models.py": PROJECT["core/models.py"],
        # it imports moved code (as django-crm's helpers import chat.models): no shared kernel, its functions called
        # back until the module is found pure and copied
        "core/mail.py": """
            from django.apps import apps

            from proj.sub.billing.constants import SUBJECT


            def send_notice(text):
                apps.get_app_config("core").sender.send(text)


            def subject(number):
                return f"{SUBJECT} {number}"


            def auth_label():
                return apps.get_app_config("auth").label
        """,
        "proj/sub/billing/__init__.py": "",
        "proj/sub/billing/apps.py": PROJECT["proj/sub/billing/apps.py"],
        "proj/sub/billing/constants.py": """
            SUBJECT = "Invoice"
        """,
        "proj/sub/billing/models.py": """
            from django.db import models

            from core.mail import auth_label, send_notice, subject


            class Invoice(models.Model):
                number = models.IntegerField()
                customer = models.ForeignKey("core.Customer", on_delete=models.CASCADE)  # core is no kernel app

                def notify(self):
                    send_notice(subject(self.number) + auth_label())
        """,
    }
    write_project(tmp_path, files)
    plan = build_plan(tmp_path, "billing", ["billing"])
    callbacks = {cb.qualname for cb in plan.service_rewrites.callbacks}
    # before: used from the copy of core.mail ("a pure function of a staying module the service copies whole")
    assert "core.mail.send_notice" in callbacks
    assert not {"core.mail.subject", "core.mail.auth_label"} & callbacks
    assert "core.mail" in {*plan.service_rewrites.vendored, *plan.shared_kernel}
