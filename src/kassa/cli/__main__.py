from kassa.cli.main import app

app(prog_name="kassa")
