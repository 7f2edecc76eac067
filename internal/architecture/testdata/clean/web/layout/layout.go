package layout

import "ccsub/static"

var Stylesheet = static.Stylesheet
