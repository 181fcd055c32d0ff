from django.conf import settings
from django.db import models
from django.urls import reverse

from crossector.core.vocabulary import Region


class Hub(models.Model):
    """A regional networking hub, run with an existing organisation in one of the UK's nations/regions."""

    name = models.CharField(max_length=150)
    slug = models.SlugField(unique=True)
    region = models.CharField("UK nation or region", max_length=32, choices=Region.choices)
    summary = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    launched_on = models.DateField("launch date", null=True, blank=True)
    is_active = models.BooleanField("active", default=True)
    # Hub organisers: staff users from the partner organisations who manage this hub's events.
    organisers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="organised_hubs",
        help_text="Members of the 'Hub organisers' group who manage this hub's events and attendees.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("hubs:detail", kwargs={"slug": self.slug})


class Partner(models.Model):
    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="partners")
    name = models.CharField(max_length=200)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = "partner organisation"

    def __str__(self):
        return self.name


class Contact(models.Model):
    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=150)
    role = models.CharField(max_length=150, blank=True)
    email = models.EmailField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = "key contact"

    def __str__(self):
        return f"{self.name} ({self.role})" if self.role else self.name


class HubFollow(models.Model):
    """A person who wants an email when the hub publishes a new event."""

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hub_follows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hub", "user"], name="one_follow_per_user_per_hub")]

    def __str__(self):
        return f"{self.user} follows {self.hub}"


from .network.models import *  # noqa: E402,F401,F403  (network models live in hubs/network/)
