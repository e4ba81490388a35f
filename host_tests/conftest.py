import simenv

simenv.install()
