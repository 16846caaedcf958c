"""StreamField blocks of the casebook: difficulties with their solutions, figures, Q&A."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

RICH = ["h3", "bold", "italic", "ol", "ul", "link"]


class SolutionBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Solution"), max_length=120)
    detail = blocks.RichTextBlock(label=_("How it was done"), features=RICH, required=False)

    class Meta:
        icon = "tick"


class DifficultyBlock(blocks.StructBlock):
    """One difficulty (难) and the solutions (解) that answered it: '4难8解' as data."""

    # "Difficulty" also means an exam question's 难度; here it is a case's 难点.
    title = blocks.CharBlock(label=pgettext_lazy("case", "Difficulty"), max_length=120)
    description = blocks.TextBlock(label=_("What made it hard"), required=False)
    solutions = blocks.ListBlock(SolutionBlock(), label=_("Solutions"), min_num=1)

    class Meta:
        icon = "warning"
        template = "cms/blocks/difficulty.html"


class FigureBlock(blocks.StructBlock):
    label = blocks.CharBlock(label=_("What was measured"), max_length=80)
    value = blocks.CharBlock(label=_("Figure"), max_length=30)
    unit = blocks.CharBlock(label=_("Unit"), max_length=20, required=False)

    class Meta:
        icon = "order"
        template = "cms/blocks/figure.html"


class ResultsBlock(blocks.StreamBlock):
    figure = FigureBlock(label=_("Figure"))
    text = blocks.RichTextBlock(label=_("Text"), features=RICH)


class MediaBlock(blocks.StreamBlock):
    image = ImageChooserBlock(label=_("Image"), template="cms/blocks/image.html")
    attachment = DocumentChooserBlock(label=_("Attachment"), template="cms/blocks/attachment.html")


class QuestionAnswerBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("Question"), max_length=200)
    answer = blocks.RichTextBlock(label=_("Answer"), features=RICH)
    cases = blocks.ListBlock(
        blocks.PageChooserBlock(page_type="cms.CasePage"), label=_("Cases cited"), required=False
    )

    class Meta:
        icon = "help"
        template = "cms/blocks/question_answer.html"
