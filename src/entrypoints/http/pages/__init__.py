"""The web pages of API.md section 14: the booking page by slug or token, the return page after payment,
the manage page, the widget and /schema. Server-rendered (Jinja2 through Litestar's templating), working
without JavaScript; the pages call the same use cases as the API, never the API over HTTP."""
