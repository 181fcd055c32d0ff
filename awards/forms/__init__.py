from .calls import EligibilityForm
from .sections import (
    CostLineForm,
    DeclarationsForm,
    DocumentsForm,
    PartnerForm,
    ProposalForm,
    SignatoryForm,
    TimingForm,
    YouForm,
    cost_formset,
    error_links,
    partner_formset,
)

__all__ = [
    "CostLineForm",
    "DeclarationsForm",
    "DocumentsForm",
    "EligibilityForm",
    "PartnerForm",
    "ProposalForm",
    "SignatoryForm",
    "TimingForm",
    "YouForm",
    "cost_formset",
    "error_links",
    "partner_formset",
]
