from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from sesamlike.common.fields import WholeNumberField
from sesamlike.common.forms import PageForm
from sesamlike.common.i18n import N_


class ExportForm(PageForm):
    day = DateField("Dag", validators=[DataRequired(N_("Ange ett datum."))])


class UploadForm(PageForm):
    file = FileField("CSV-fil", validators=[FileRequired(N_("Välj en fil."))])


class ReorderPointForm(PageForm):
    depot_code = SelectField("Lager", choices=[], validate_choice=False)
    article_no = StringField(
        "Artikelnummer",
        validators=[DataRequired(N_("Ange artikelnummer.")), Length(max=40)],
    )
    reorder_level = WholeNumberField(
        "Beställningspunkt (förp.)",
        validators=[
            InputRequired(N_("Ange ett heltal.")),
            NumberRange(min=0, message="Ange 0 eller mer."),
        ],
    )
    order_up_to = WholeNumberField(
        "Fyll på upp till (förp.)",
        validators=[
            InputRequired(N_("Ange ett heltal.")),
            NumberRange(min=1, message="Ange 1 eller mer."),
        ],
    )
