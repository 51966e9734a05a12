from qianwan.navigation import nav_for


def platform(request):
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"nav_items": nav_for(user, request.path)}
