"""What a lesson is made of: StreamField blocks trainers put together in the Wagtail admin."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=200)

    class Meta:
        icon = "image"
        template = "training/blocks/image.html"


class VideoBlock(blocks.StructBlock):
    """An uploaded video played in the page; its length is what the 90 % rule measures against."""

    video = DocumentChooserBlock(label=_("Video file (MP4)"))
    duration_seconds = blocks.IntegerBlock(
        label=_("Length in seconds"), min_value=1, help_text=_("Used to check that it was watched.")
    )
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=200)

    class Meta:
        icon = "media"
        template = "training/blocks/video.html"


class AttachmentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("File"))
    title = blocks.CharBlock(label=_("Title"), required=False, max_length=200)

    class Meta:
        icon = "doc-full"
        template = "training/blocks/attachment.html"


class CaseBlock(blocks.StructBlock):
    # Any page for now: the casebook's page type arrives with the casebook.
    case = blocks.PageChooserBlock(label=_("Case"))
    note = blocks.CharBlock(label=_("Why read it"), required=False, max_length=200)

    class Meta:
        icon = "doc-full-inverse"
        template = "training/blocks/case.html"


class QuizBlock(blocks.StructBlock):
    """A self-check question inside a lesson; it is not graded."""

    question = blocks.CharBlock(label=_("Question"), max_length=300)
    options = blocks.ListBlock(blocks.CharBlock(label=_("Option"), max_length=200), min_num=2)
    answer = blocks.IntegerBlock(label=_("Number of the right option (1 = first)"), min_value=1)
    explanation = blocks.TextBlock(label=_("Explanation"), required=False)

    class Meta:
        icon = "help"
        template = "training/blocks/quiz.html"


class LessonBody(blocks.StreamBlock):
    text = blocks.RichTextBlock(
        label=_("Text"), features=["h2", "h3", "bold", "italic", "ol", "ul", "link"]
    )
    image = ImageBlock(label=_("Image"))
    video = VideoBlock(label=_("Video"))
    attachment = AttachmentBlock(label=_("Attachment"))
    case = CaseBlock(label=_("Case"))
    quiz = QuizBlock(label=_("Self-check question"))
