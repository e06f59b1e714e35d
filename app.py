from sesamlike import create_app

app = create_app()
