# ruff: noqa: E501  (one labelled item a line reads better than wrapped strings)
"""Builds phi_labelled.jsonl from the marked-up items below (run: python tests/data/make_phi_labelled.py).

Markup: ``[[kind|text]]`` marks a span of PHI. Items without markup are hard negatives.
Each JSONL line: {"id", "text", "spans": [{"kind", "start", "end"}], "form", "split"}.
``split``: "dev" and "heldout" (every fourth item) were written before the detector, which
was designed with them in view; "blind" items were written after it and scored untouched
the first time (that first score is in the security report).

Date policy (see app/security/redaction.py): a date is masked (kind ``dob``) when a birth
cue is near it ("date of birth", "DOB", "born", "birthday"), or when it is a complete date
(day, month and year) with a year before the reference year (a past full date about a
person: HIPAA Safe Harbor treats it as PHI). A year alone, an appointment date without a
year, or a date this year or later is not masked. Reference date for this set: 2026-11-01.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

SPOKEN = "spoken"
WRITTEN = "written"

ITEMS: list[tuple[str, str]] = [
    # --- phone numbers
    (SPOKEN, "You can reach me at [[phone|five five five, one two three four]]."),
    (SPOKEN, "my cell is [[phone|six one seven five five five zero one nine two]]"),
    (WRITTEN, "The callback number is [[phone|(617) 555-0143]]."),
    (WRITTEN, "call me back at [[phone|617-555-0198]] after five"),
    (SPOKEN, "It's [[phone|four one five, eight six seven, five three oh nine]]."),
    (WRITTEN, "home phone [[phone|555.867.5309]]"),
    (SPOKEN, "my number's [[phone|eight oh eight, five five five, twelve thirty four]]"),
    (WRITTEN, "you can text [[phone|+1 312 555 0177]]"),
    (WRITTEN, "the number on file is [[phone|2125550123]]"),
    (SPOKEN, "my daughter's number is [[phone|nine seven three, five five five, oh one four four]]"),
    (SPOKEN, "work number [[phone|seven oh three five five five eight eight two one]] extension four twelve"),
    (SPOKEN, "reach me on [[phone|double five five, two three nine, four four one oh]]"),
    (WRITTEN, "Phone: [[phone|1-800-555-0199]]"),
    (SPOKEN, "it's [[phone|two one four five five five triple three one]]"),
    (SPOKEN, "yeah the best number is [[phone|three three six, four seven one, two two eight zero]] thanks"),
    (SPOKEN, "my number is [[phone|nine one seven five five five two six one eight]] thank you"),
    (SPOKEN, "its [[phone|four zero four five five five nine three one two]]"),
    (SPOKEN, "callback [[phone|eight five eight five five five oh one one oh]]"),
    (SPOKEN, "the pharmacy number is [[phone|one eight hundred five five five two two three three]]"),
    (WRITTEN, "my phone [[phone|(508) 555-7721]], my email [[email|r.patel@verizon.net]]"),
    (SPOKEN, "uh the number is [[phone|five oh eight, five five five, sixty two, forty one]]"),
    (WRITTEN, "Cell 646 555 0134, call after 6pm".replace("646 555 0134", "[[phone|646 555 0134]]")),
    (SPOKEN, "you can call my husband at [[phone|seven seven three five five five oh oh four two]]"),
    # --- dates of birth
    (WRITTEN, "date of birth is [[dob|March 3rd, 1985]]"),
    (SPOKEN, "my birthday is [[dob|march third nineteen eighty five]]"),
    (WRITTEN, "DOB [[dob|04/17/1962]]"),
    (SPOKEN, "I was born on [[dob|the twelfth of June, nineteen fifty-four]]"),
    (WRITTEN, "born [[dob|7-9-88]]"),
    (SPOKEN, "and your date of birth? [[dob|oh seven, oh nine, eighty eight]]"),
    (WRITTEN, "date of birth [[dob|1979-11-02]]"),
    (SPOKEN, "she was born [[dob|January 5th 2001]]"),
    (SPOKEN, "birth date is [[dob|November twenty-second, nineteen ninety]]"),
    (SPOKEN, "d o b [[dob|twelve fifteen sixty seven]]"),
    (WRITTEN, "It's [[dob|September 9, 1949]], I'm the patient."),
    (WRITTEN, "my DOB is [[dob|2/14/75]]"),
    (SPOKEN, "he was born in [[dob|August of nineteen seventy]]"),
    (SPOKEN, "his birthday's [[dob|the fourth of July]]"),
    (WRITTEN, "Date of birth: [[dob|5.23.1958]]"),
    (SPOKEN, "birthdate [[dob|june 1 1999]]"),
    (SPOKEN, "verify your date of birth for me. Sure, it's [[dob|october thirty first two thousand three]]"),
    (SPOKEN, "date of birth [[dob|may fifth nineteen forty]]"),
    (SPOKEN, "uh birthday [[dob|april the ninth, eighty two]]"),
    (WRITTEN, "Patient DOB: [[dob|12/01/1990]]"),
    (SPOKEN, "I was born [[dob|the second of February nineteen sixty]]"),
    # --- social security numbers
    (WRITTEN, "social is [[ssn|123-45-6789]]"),
    (SPOKEN, "my social security number is [[ssn|four five six, seven eight, nine one two three]]"),
    (WRITTEN, "SSN [[ssn|078 05 1120]]"),
    (SPOKEN, "last four of your social? [[ssn|six seven eight nine]]"),
    (WRITTEN, "the last 4 of my SSN are [[ssn|4821]]"),
    (SPOKEN, "social [[ssn|five two one one two three four five six]]"),
    (WRITTEN, "ss number [[ssn|219-09-9999]]"),
    (SPOKEN, "last four of the social is [[ssn|oh three one seven]]"),
    (SPOKEN, "social [[ssn|six six one dash two two dash four nine one eight]]"),
    (SPOKEN, "can I get the last four of your social, [[ssn|two nine nine one]], thank you"),
    (SPOKEN, "social security [[ssn|three one two, forty four, ninety nine oh one]]"),
    # --- medical record numbers
    (WRITTEN, "medical record number [[mrn|00482913]]"),
    (WRITTEN, "MRN [[mrn|4417-2290]]"),
    (SPOKEN, "my chart number is [[mrn|three four four eight two nine one]]"),
    (WRITTEN, "patient ID [[mrn|PT-88213409]]"),
    (SPOKEN, "the MRN on the wristband is [[mrn|zero zero nine one two two seven four]]"),
    (WRITTEN, "MR number [[mrn|A10445872]]"),
    (SPOKEN, "record number is [[mrn|seven seven one oh four two five]]"),
    (SPOKEN, "my medical record number is [[mrn|nine eight seven six five four three]]"),
    (WRITTEN, "Verified identity with MRN [[mrn|M00291845]] and DOB [[dob|1953-03-07]]."),
    # --- member, policy, account numbers
    (WRITTEN, "member ID is [[member_id|XJH482910317]]"),
    (SPOKEN, "my member number is [[member_id|W two eight four one nine three seven five]]"),
    (WRITTEN, "policy number [[member_id|884-221-907]]"),
    (WRITTEN, "subscriber ID [[member_id|ZGP 4417 0921]]"),
    (SPOKEN, "group number [[member_id|0 7 7 4 1 2]]"),
    (WRITTEN, "Medicaid ID [[member_id|KM48213907]]"),
    (WRITTEN, "medicare number [[member_id|1EG4-TE5-MK73]]"),
    (SPOKEN, "the member ID on the card is [[member_id|one two eight, four four nine, zero zero three]]"),
    (WRITTEN, "insurance ID [[member_id|H7734 09812]]"),
    (WRITTEN, "account number [[member_id|5512 0093 71]]"),
    (SPOKEN, "claim number [[member_id|two zero two four one one eight three three five]]"),
    (SPOKEN, "member id [[member_id|two two four eight one nine nine zero five]]"),
    (WRITTEN, "Caller gave member ID [[member_id|UHC 9920 4471 3]]"),
    (SPOKEN, "the id on my card is [[member_id|Y X Q four four two one nine oh]]"),
    # --- payment cards
    (WRITTEN, "card number [[card|4111 1111 1111 1111]]"),
    (SPOKEN, "it's a visa, [[card|four one one one, one one one one, one one one one, one one one one]]"),
    (WRITTEN, "[[card|5500-0000-0000-0004]] is the card"),
    (WRITTEN, "my amex is [[card|3782 822463 10005]]"),
    (SPOKEN, "card ending in [[card|four two four two]]"),
    (WRITTEN, "the card is [[card|6011111111111117]] expiration [[card|oh four twenty seven]]"),
    (SPOKEN, "security code [[card|seven three one]]"),
    (WRITTEN, "debit card [[card|5105 1051 0510 5100]]"),
    (WRITTEN, "[[card|4012 8888 8888 1881]], exp [[card|09/28]]"),
    (SPOKEN, "the number on the front is [[card|five five five five five five five five five five five five four four four four]]"),
    # --- email
    (WRITTEN, "email is [[email|jsmith85@gmail.com]]"),
    (SPOKEN, "it's [[email|john dot smith at gmail dot com]]"),
    (WRITTEN, "send it to [[email|maria_lopez@yahoo.com]]"),
    (SPOKEN, "my email [[email|k dot obrien at outlook dot com]]"),
    (WRITTEN, "[[email|pat.nguyen+portal@clinic-mail.org]]"),
    (SPOKEN, "email address [[email|tommy underscore b at hotmail dot com]]"),
    (SPOKEN, "it's [[email|grandma1942 at aol dot com]]"),
    (WRITTEN, "Email on file: [[email|lwhite@example.org]]"),
    # --- street addresses
    (WRITTEN, "I live at [[address|2218 Birch Hollow Drive]]"),
    (SPOKEN, "the address is [[address|two two one eight Birch Hollow Drive]]"),
    (WRITTEN, "[[address|45 Elm St., Apt 3B]]"),
    (SPOKEN, "mail it to [[address|one forty two west maple avenue]]"),
    (WRITTEN, "we moved to [[address|9 Harbor View Lane]]"),
    (WRITTEN, "[[address|P.O. Box 1187]]"),
    (SPOKEN, "my address is [[address|three oh five oak street apartment twelve]]"),
    (WRITTEN, "zip code is [[address|02139]]"),
    (SPOKEN, "zip is [[address|oh two one three nine]]"),
    (WRITTEN, "[[address|1600 Pennsylvania Ave NW]]"),
    (WRITTEN, "[[address|77 Massachusetts Avenue, Cambridge, MA 02139]]"),
    (SPOKEN, "lives at [[address|four eleven north main street]]"),
    (WRITTEN, "[[address|312 Via Verde Court]]"),
    (SPOKEN, "it's [[address|eighteen hundred Lakeshore Boulevard]]"),
    (WRITTEN, "[[address|550 S. Figueroa St]]"),
    (WRITTEN, "the house at [[address|12 Rosewood Terrace]]"),
    (SPOKEN, "[[address|po box four four one]]"),
    (WRITTEN, "new address: [[address|88 Quincy Rd, Unit 5]]"),
    (WRITTEN, "Updated address to [[address|5 Water St]] per caller."),
    (SPOKEN, "I'm at [[address|twenty nine Cedar Lane]] now"),
    (SPOKEN, "send the bill to [[address|seven twenty one pine ridge road]]"),
    # --- several kinds in one line
    (WRITTEN, "Name's Dana, DOB [[dob|6/30/1971]], callback [[phone|555-201-4433]]."),
    (SPOKEN, "member ID [[member_id|QRT5520913]] and date of birth [[dob|February second nineteen sixty]]"),
    (SPOKEN, "ok so that's [[phone|five five five, two one two, nine nine oh oh]] and the email [[email|dana dot p at gmail dot com]]"),
    (WRITTEN, "Sure, my social is [[ssn|321-54-9876]] and I live at [[address|14 Chestnut Street]]"),
    (WRITTEN, "MRN [[mrn|7730021]], born [[dob|4/4/44]]"),
    (SPOKEN, "I'm at [[address|221 Baker Street]], my number's [[phone|six oh nine, five five five, four one two two]]"),
    (WRITTEN, "Pt called re: refill. Callback [[phone|555-330-1842]]. Verified DOB [[dob|08/19/1966]]."),
    (SPOKEN, "yes date of birth [[dob|ten ten nineteen seventy]] and the zip is [[address|six oh six one four]]"),
    (SPOKEN, "so the phone is [[phone|three one two five five five zero nine nine one]] and I was born [[dob|march ninth nineteen eighty]]"),
    (WRITTEN, "Last visit [[dob|January 14, 2019]]; next appointment June 5."),
    # --- added after a look at the shared call scripts: ZIP after a town, "Oh" is not zero
    (WRITTEN, "It's [[address|2218 Birch Hollow Drive, apartment 3B, Columbus, 43215]]. Oh, and my cell's the same."),
    (WRITTEN, "So that's [[address|410 Main Street, Suite 200, Dayton, Ohio, 45402]]. Did I get that right?"),
    (SPOKEN, "The lawyer is in [[address|Dayton, 45402]], attention Susan Park."),
    (SPOKEN, "Oh, one more thing, oh two is the room."),
    # --- hard negatives: doses, times, money, counts, codes, appointment dates
    (SPOKEN, "Take 5 mg twice a day with food."),
    (SPOKEN, "I'll see you at 4:30."),
    (WRITTEN, "The balance is $640."),
    (SPOKEN, "Your appointment is on March 3rd."),
    (SPOKEN, "We have an opening next Tuesday the 14th at ten fifteen."),
    (SPOKEN, "The copay is twenty five dollars."),
    (SPOKEN, "I've been taking ten milligrams of lisinopril for three years."),
    (SPOKEN, "She's 45 and he's 52."),
    (SPOKEN, "It was about two or three weeks ago."),
    (WRITTEN, "Room 204, second floor."),
    (SPOKEN, "Dial 911 if it gets worse."),
    (WRITTEN, "Your total comes to $1,245.50."),
    (SPOKEN, "Press 2 for billing."),
    (WRITTEN, "The appointment is June 5th, 2027 at 9 AM."),
    (SPOKEN, "I was born in 1985."),
    (SPOKEN, "Take two tablets by mouth three times a day."),
    (WRITTEN, "Your A1C was 7.2, down from 8.1."),
    (SPOKEN, "The blood pressure was one thirty over eighty five."),
    (SPOKEN, "We'll refill the 90 day supply."),
    (SPOKEN, "Drive safe, see you on the 3rd."),
    (SPOKEN, "I live about 20 minutes from the clinic."),
    (SPOKEN, "Turn left on Main Street."),
    (SPOKEN, "The 2 of us will drive over."),
    (SPOKEN, "Dr. Patel's office is on the 5th floor."),
    (SPOKEN, "That's covered under plan B."),
    (SPOKEN, "Your deductible is two thousand five hundred dollars."),
    (SPOKEN, "Call back in 24 to 48 hours."),
    (SPOKEN, "The lab opens at 7 and closes at 5:30."),
    (SPOKEN, "I have 3 kids, ages 4, 7 and 11."),
    (SPOKEN, "Refill number 3 of 5."),
    (SPOKEN, "It's a 30 day prescription, 60 tablets."),
    (SPOKEN, "Her temperature was 101.4 yesterday."),
    (SPOKEN, "I'm calling about my bill from June."),
    (WRITTEN, "The ICD code is E11.9."),
    (WRITTEN, "COVID-19 booster is due."),
    (SPOKEN, "He needs a B12 shot."),
    (WRITTEN, "Take 1,000 units of vitamin D."),
    (SPOKEN, "your appointment is on 12/14 at 2 pm"),
    (SPOKEN, "we're open from eight to five monday through friday"),
    (SPOKEN, "Ok, one moment, let me pull that up."),
    (SPOKEN, "It's been two or three days."),
    (SPOKEN, "The office is closed on the 4th of July."),
    (SPOKEN, "Her birthday party is on Saturday."),
    (SPOKEN, "I was born and raised here."),
    (WRITTEN, "The procedure code 99213 was billed."),
    (SPOKEN, "your claim from 2023 was denied"),
    (SPOKEN, "I take 500 milligrams of metformin twice daily."),
    (SPOKEN, "the doctor said one to two weeks"),
    (SPOKEN, "Press one for English, two for Spanish."),
    (SPOKEN, "Five five five is the fake prefix in movies."),
    (SPOKEN, "You're number 4 in the queue."),
    (WRITTEN, "The total out of pocket max is $8,700."),
    (SPOKEN, "Is this the pharmacy at the corner of 5th and Main?"),
    (SPOKEN, "I need 2 refills on my Humira."),
    (SPOKEN, "The visit on May 2nd was fine."),
    (SPOKEN, "She weighs 140 pounds."),
    (SPOKEN, "My insurance card says Blue Cross."),
    (SPOKEN, "We'll mail it in 7 to 10 business days."),
    (SPOKEN, "Go to entrance 3, then elevator B."),
    (SPOKEN, "i take two puffs four times a day"),
    (SPOKEN, "That's 20 milligrams, one tablet daily, for 30 days."),
    (SPOKEN, "the test is at eleven forty five"),
    (SPOKEN, "between 9 and 5"),
    (SPOKEN, "we got your fax on 3/4"),
    (SPOKEN, "it was maybe 2019 or 2020"),
    (SPOKEN, "Your order number is 7."),
    (SPOKEN, "Take the 8:15 bus."),
    (WRITTEN, "Her labs were 12.5, 13.1 and 11.8."),
    (SPOKEN, "she was born in nineteen seventy two"),
    (SPOKEN, "the bill was four hundred and twelve dollars"),
    (SPOKEN, "take it at seven thirty in the morning and nine thirty at night"),
    (SPOKEN, "I've had diabetes since two thousand and five"),
    (SPOKEN, "we can do Thursday November twentieth at ten"),
    (SPOKEN, "your next appointment is December 3rd, 2026"),
    (SPOKEN, "the copay went up from thirty to forty five"),
    (SPOKEN, "it's about three hundred sixty five days of coverage"),
    (SPOKEN, "he's in room four twelve"),
    (SPOKEN, "take one and a half tablets"),
    (WRITTEN, "Insulin 10 units at bedtime, 6 units with meals."),
    (SPOKEN, "yes the twenty first works for me"),
    (SPOKEN, "we're at twenty twenty five rates still"),
    (SPOKEN, "my street is really quiet"),
    (SPOKEN, "I live on a dead end road near the school."),
    (SPOKEN, "I can drive you at 3 if you like."),
    (SPOKEN, "It's twelve dollars and fifty cents."),
    (SPOKEN, "Press five, then one, then the pound key."),
    (SPOKEN, "The wait was like forty five minutes, one hour maybe."),
    (WRITTEN, "Dosage: 0.5 mg, 1.25 mg, 2.5 mg."),
    (SPOKEN, "she is on her 3rd round of chemo"),
    (SPOKEN, "they said two to four business days"),
    (SPOKEN, "The email didn't arrive."),
    (SPOKEN, "My phone died at the worst time."),
    (SPOKEN, "my social worker called me"),
]

#: Written after the detector existed and run once untouched: the honest estimate.
#: (The items above were written first, but the detector was designed with them in view.)
BLIND: list[tuple[str, str]] = [
    (SPOKEN, "yeah it's area code [[phone|four one two, then five five five, eight eight one nine]]"),
    (WRITTEN, "Can you confirm the phone number we have, [[phone|555-0142]]?"),
    (SPOKEN, "My mom's cell, it's [[phone|9 1 9 5 5 5 0 1 7 7]]."),
    (WRITTEN, "DOB is [[dob|3/15/1952]]."),
    (SPOKEN, "I'm born [[dob|nineteen sixty three, May the fourth]]"),
    (WRITTEN, "the patient's birthday is [[dob|11-03-1944]]"),
    (SPOKEN, "Date of birth, uh, [[dob|the twenty-third of may, nineteen seventy-one]]"),
    (WRITTEN, "Social's [[ssn|987 65 4321]]"),
    (SPOKEN, "last four digits of the social are [[ssn|5 5 1 2]]"),
    (SPOKEN, "my member ID is [[member_id|G R T seven seven two zero one one four]]"),
    (WRITTEN, "Subscriber number: [[member_id|000-44-1872-01]]"),
    (WRITTEN, "her chart is [[mrn|MRN-00771234]]"),
    (WRITTEN, "it's [[card|4532 0151 1283 0366]]"),
    (SPOKEN, "the card's last four are [[card|1 2 3 4]]"),
    (WRITTEN, "email me at [[email|dr.kim@northside-health.org]]"),
    (SPOKEN, "it's [[email|j-o-n-e-s at comcast dot net]]"),
    (WRITTEN, "I moved to [[address|1042 North Elm Street, apartment 6]]"),
    (SPOKEN, "it's [[address|two forty Magnolia Way]]"),
    (WRITTEN, "we're at [[address|19 Old Mill Rd]] in Lenox"),
    (SPOKEN, "I'm at [[address|four hundred Park Avenue]] South"),
    (SPOKEN, "zip code [[address|three oh three oh five]]"),
    (WRITTEN, "[[address|P O Box 22]]"),
    (WRITTEN, "my address is [[address|16 Linden Pl]]"),
    (WRITTEN, "My insurance ID is [[member_id|BCX 449 201 778]]"),
    (WRITTEN, "policy # [[member_id|77812309]]"),
    (SPOKEN, "patient number [[mrn|5502183]]"),
    (SPOKEN, "and her DOB, [[dob|nine nine nineteen ninety nine]]"),
    (WRITTEN, "born on [[dob|the 2nd of Feb 1980]]"),
    (WRITTEN, "Callback [[phone|1 (800) 555-0100]] ext 2"),
    (SPOKEN, "text me on [[phone|07700 900123]]"),
    (SPOKEN, "you can reach her at her cell, [[phone|five five five two oh one nine]]"),
    (WRITTEN, "SSN: [[ssn|123 45 6789]]"),
    (SPOKEN, "birthday [[dob|March 12]]"),
    (WRITTEN, "I was seen on [[dob|10/02/2023]] for the same thing"),
    (SPOKEN, "the number is [[phone|seven one eight, five five five, oh three three three]], ask for Rita"),
    (SPOKEN, "medical record is [[mrn|one one two three five eight one three]]"),
    (SPOKEN, "my Medicaid number is [[member_id|Q Q four four eight one two nine]]"),
    (WRITTEN, "Email: [[email|BOB.SMITH@GMAIL.COM]]"),
    (SPOKEN, "I live at [[address|fifty six Spring Street]]"),
    (WRITTEN, "Mailing address [[address|PO Box 7781]], Helena"),
    # hard negatives
    (SPOKEN, "Your co-insurance is 20 percent."),
    (SPOKEN, "The 10:45 slot is open."),
    (SPOKEN, "Give me 2 minutes."),
    (SPOKEN, "My A1c is six point two."),
    (SPOKEN, "Take 1 tablet by mouth every 8 hours."),
    (SPOKEN, "I called three times last week."),
    (SPOKEN, "That was in 2021, I think."),
    (SPOKEN, "It's about 30 miles away."),
    (SPOKEN, "We close at five thirty."),
    (SPOKEN, "Can you do the 22nd?"),
    (SPOKEN, "Your prior auth is good for 90 days."),
    (SPOKEN, "She is turning 60 in March."),
    (SPOKEN, "The wait time is 15 to 20 minutes."),
    (SPOKEN, "Fax it over to the office, please."),
    (SPOKEN, "Extension 2213."),
    (SPOKEN, "It cost me 1200 dollars."),
    (SPOKEN, "Your visit on the 5th of December is confirmed."),
    (SPOKEN, "I'm 5 foot 6 and 180 pounds."),
    (SPOKEN, "Blood sugar was 240 this morning and 180 at lunch."),
    (SPOKEN, "He's in bed 12B on the fourth floor."),
    (SPOKEN, "Number one, I need the refill. Number two, the referral."),
    (SPOKEN, "I work at the Main Street pharmacy."),
    (SPOKEN, "Please hold for one minute while I check the 3 claims."),
    (SPOKEN, "Your plan covers 12 visits per year."),
    (WRITTEN, "The total is $2,450 before insurance."),
    (SPOKEN, "We received your fax at 3:15 on Tuesday."),
    (SPOKEN, "The order number is 4 4 2 1."),
    (SPOKEN, "we tried twenty five, fifty, seventy five milligrams"),
    (SPOKEN, "My kids are 12, 15, 17 and 19."),
    (SPOKEN, "may I put you on hold for two minutes"),
    (SPOKEN, "I had my second dose on the third."),
    (SPOKEN, "the one oh one bus drops me at the clinic"),
    (SPOKEN, "we're open seven days a week, eight to eight"),
    (SPOKEN, "it should take three to five business days"),
]

MARK = re.compile(r"\[\[(\w+)\|(.+?)\]\]")


def parse(marked: str) -> tuple[str, list[dict[str, object]]]:
    text, spans, pos = [], [], 0
    out_len = 0
    for m in MARK.finditer(marked):
        before = marked[pos : m.start()]
        text.append(before)
        out_len += len(before)
        spans.append({"kind": m.group(1), "start": out_len, "end": out_len + len(m.group(2))})
        text.append(m.group(2))
        out_len += len(m.group(2))
        pos = m.end()
    text.append(marked[pos:])
    return "".join(text), spans


def main() -> None:
    out = Path(__file__).with_name("phi_labelled.jsonl")
    with out.open("w") as f:
        for i, (form, marked) in enumerate([*ITEMS, *BLIND]):
            text, spans = parse(marked)
            split = "blind" if i >= len(ITEMS) else "heldout" if i % 4 == 3 else "dev"
            f.write(json.dumps({"id": i, "text": text, "spans": spans, "form": form,
                                "split": split}) + "\n")
    print(f"wrote {len(ITEMS) + len(BLIND)} items to {out}")


if __name__ == "__main__":
    main()
