package static

const Stylesheet = "/static/app.css"
