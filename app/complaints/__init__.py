"""What a reporter may ask of the unit after filing: a complaint against a decision not to
prosecute (within 15 days of being told of it) and a request for protection (Law on
Denunciation 2018 art. 47). Both are personal free text, sealed with the data keys."""
