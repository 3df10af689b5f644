from healthwise import create_app

app = create_app()
