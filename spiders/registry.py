"""The agencies we know, as data. Add an agency by adding an entry; no code is needed when the
generic news spider can find its article links and pagination from the listing URL alone."""

from archiver.site import Site

AGENCIES: tuple[Site, ...] = (
    Site(
        slug="moralcenter",
        name_th="ศูนย์คุณธรรม (องค์การมหาชน)",
        name_en="Moral Promotion Center (Public Organization)",
        listings=("https://www.moralcenter.or.th/ศูนย์คุณธรรม/news/pr-news.html",),
        cms="joomla",
        notes="Joomla 3 category blog, ?start=N pagination; sigplus gallery plugin "
        "(the seed page: widget, plugin error box, {gallery} shortcodes).",
    ),
    Site(
        slug="thaigov",
        name_th="ทำเนียบรัฐบาล (รัฐบาลไทย)",
        name_en="Royal Thai Government",
        listings=("https://www.thaigov.go.th/news/contents/ministry",),
        cms="in-house",
        notes="In-house CMS; articles at /news/contents/details/<id>; source of the "
        "public-domain news corpus in shared/corpus.",
    ),
    Site(
        slug="prd",
        name_th="กรมประชาสัมพันธ์",
        name_en="Government Public Relations Department",
        listings=("https://www.prd.go.th/th/content/category/index/id/9",),
        cms="in-house",
        notes="PRD in-house CMS; listing URL to be confirmed on the live site.",
    ),
)

BY_SLUG = {site.slug: site for site in AGENCIES}
