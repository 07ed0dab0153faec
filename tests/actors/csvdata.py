"""CSV texts shared by the directory tests (kept apart so each test reads as a sentence)."""

HEADER = (
    "post;enhets_id;namn;typ;huvudman_orgnr;huvudman;huvudman_typ;huvudman_län;kommunkod;kommun;"
    "länsdel;epost;telefon;postadress;hsa_id;systemtillgång;aktiv;användarnamn;förnamn;efternamn;"
    "roll\n"
)

GOOD = HEADER + (
    "verksamhet;lulea-ifo;Socialtjänst IFO Luleå;Socialtjänst IFO;212000-2742;Luleå kommun;"
    'Kommun;25;2580;Luleå;Luleå/Boden;ifo@lulea.se;0920-45 30 00;"Box 1\n971 85 Luleå";;ja;ja;;;;\n'
    "verksamhet;bup-lulea;BUP Luleå;bup;232100-0230;Region Norrbotten;region;Norrbottens län;2580;;"
    ";bup@norrbotten.se;;;SE2321000230-1;nej;ja;;;;\n"
    "person;lulea-ifo;;;;;;;;;;anna@lulea.se;;;;;ja;anna.a;Anna;Andersson;handläggare\n"
    "person;bup-lulea;;;;;;;;;;anna@lulea.se;;;;;;anna.a;Anna;Andersson;chef\n"
)
