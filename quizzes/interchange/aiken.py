def parse_aiken(t): pass
def dump_aiken(q): pass
