"""Caller feelings and bounces said in other words, and their look-alikes.

Categories of the playbook's caller kinds (validate_first, abuse, orient,
offer_choice, reflect_back, own_it) added so that they generalise across writers:
anger said as sarcasm, as an indignant repeat or a rhetorical question, at the
company rather than the agent, or worn down; put-downs of the agent's wits, job or
English and waiting for them after work; fear as a question about what a result
means, dread before a procedure, being left in the dark; overwhelm in few words.
The guards: running oneself down ("is that dumb?"), an apology for crying, a worry
laughed off, endearments, curbside pickup, a price that is "a lot".

Every sentence here is written for the behaviour, not copied from a call script.
"""

from __future__ import annotations

import pytest

from tests.cue_support import kinds

RAISES: list[tuple[str, str]] = [
    # validate_first: sarcasm beside a grievance
    (
        "validate_first",
        "They charged me twice for the same visit. Oh, that's just wonderful. Really.",
    ),
    (
        "validate_first",
        "Another surprise bill in the mail, gotta love getting letters from you people.",
    ),
    (
        "validate_first",
        "Three hundred dollars for a phone call with the nurse. Real classy, guys.",
    ),
    (
        "validate_first",
        "I've been on hold so long I now know every word of that hold music by heart, "
        "and the bill is still wrong.",
    ),
    (
        "validate_first",
        "Wonderful, you're lucky number five today. Third time's the charm, I guess.",
    ),
    (
        "validate_first",
        "Oh good, another form after you lost the first one. Nothing says service like a fax.",
    ),
    # validate_first: the grievance said again (a bare fragment said again, "Nine hundred
    # dollars.", is no longer read as anger: see indignant_repeat in the playbook)
    (
        "validate_first",
        "It's a van. It's a van that's supposed to come, and it never came.",
    ),
    # validate_first: rhetorical disbelief at the situation
    ("validate_first", "The plan denied his inhaler again. Is this some kind of joke?"),
    (
        "validate_first",
        "They won't cover the wheelchair but they'll cover a cane. Who comes up with these rules?",
    ),
    (
        "validate_first",
        "Can somebody tell me how an office loses a signed form twice in one month?",
    ),
    # validate_first: the company, not the agent
    (
        "validate_first",
        "Honestly the insurance companies are a bunch of crooks, I know it isn't you.",
    ),
    (
        "validate_first",
        "They're robbing sick people blind with these fees and nobody does a thing.",
    ),
    (
        "validate_first",
        "I'm not shouting at you, I'm just so done with this bill after six months.",
    ),
    ("validate_first", "I'm steaming right now, they dropped my mother's coverage with no notice."),
    (
        "validate_first",
        "Denied again for the third month. Perfect. Just perfect. What am I even paying "
        "premiums for?",
    ),
    ("validate_first", "I am so tired of fighting with the insurance over one pump."),
    (
        "validate_first",
        "Getting this prior authorization has been an absolute nightmare, three weeks now.",
    ),
    ("validate_first", "I'm so over this, the claim's been open since spring."),
    # validate_first: anger gone weary
    (
        "validate_first",
        "I'm not even angry anymore about the bill. I sent every form they asked for, "
        "I jumped through every single hoop.",
    ),
    (
        "validate_first",
        "They said the claim is denied and I owe it all, and I've been crying since I "
        "opened the letter.",
    ),
    # abuse: the agent's wits, schooling, job or English
    ("abuse", "Do you have even one brain cell, or did they hire you off a billboard?"),
    ("abuse", "Get me somebody who made it past the third grade, please."),
    ("abuse", "Wow, did you figure that out all by yourself?"),
    ("abuse", "Can you even understand English or should I draw it?"),
    ("abuse", "You're a leech, you know that? Living off sick people."),
    ("abuse", "How do you live with yourself, doing this job?"),
    ("abuse", "Fine, send the form, moron."),
    ("abuse", "You're clearly not qualified, you can't do one thing right."),
    ("abuse", "Do you even know what you're doing? I hope you get fired."),
    # abuse: waiting for the agent after work
    (
        "abuse",
        "I know you clock out at six. I'll be waiting in the parking lot and you can "
        "say it to me in person.",
    ),
    # orient: a frightening word in their own result
    ("orient", "The report says a mass on my ovary. What's a mass mean? Am I dying?"),
    ("orient", "My pathology came back and it says dysplasia, does that turn into cancer?"),
    ("orient", "The portal says malignant. Could that be a mix-up with another patient's result?"),
    (
        "orient",
        "The doctor said stage two on the phone and I don't remember anything she said after.",
    ),
    # orient: dread before a procedure, and being left in the dark
    (
        "orient",
        "My colonoscopy is tomorrow and I've been trembling all night, I'm not a baby, but still.",
    ),
    ("orient", "No one has told us what happens next with his heart monitor."),
    ("orient", "They put in a drain and nobody explained to me what's normal."),
    ("orient", "The biopsy letter came Friday and my mind keeps going to the worst."),
    # offer_choice: the load in few words
    (
        "offer_choice",
        "There's the pharmacy, and the home nurse, and the equipment people, and the "
        "forms for work. It's a lot.",
    ),
    ("offer_choice", "I cannot understand any of this paperwork they gave me."),
    ("offer_choice", "Please, I can't even think about the next step right now."),
    # reflect_back: the story to be told all over again
    (
        "reflect_back",
        "I explained all of it to the intake nurse last week. Why doesn't anyone write it down?",
    ),
    ("reflect_back", "No. I'm not going through the whole story again."),
]


QUIET: list[tuple[str, str]] = [
    # running oneself down is not anger at the situation
    ("validate_first", "I'd rather not do the colonoscopy this year. Is that silly?"),
    ("validate_first", "And this is dumb, but I always get nervous before blood draws."),
    # a sincere "that's great" beside a bill, sincere thanks
    ("validate_first", "Oh, so the bill was fixed? That's great news, thank you."),
    # repeating a date back, a greeting repeated, a repeat of a name
    ("validate_first", "Tuesday at two. Tuesday at two, got it, thank you."),
    ("validate_first", "Okay. Okay. Thank you so much for fixing the bill."),
    # a frightening word said twice is fear, not indignation
    ("validate_first", "The letter says carcinoma. Carcinoma. Is that cancer?"),
    # "how do you lose weight" is a question
    ("validate_first", "How do you lose weight on this new diet, is there a handout?"),
    # calling oneself names, endearments, curbside pickup
    ("abuse", "I thanked you like an idiot before you even told me the price."),
    ("abuse", "Thank you so much, sweetheart."),
    ("abuse", "I'll be in the parking lot, can someone bring the prescription out to me?"),
    ("abuse", "The chemo fried my last brain cell, so can you repeat the time?"),
    # an apology for being emotional, a worry laughed off
    ("orient", "Okay. Thank you. Sorry I'm such a mess today."),
    ("orient", "i'm paranoid lol but he's fine, just need the refill"),
    ("orient", "I used to be so nervous before these scans, honestly it's routine now."),
    # the house falling apart, shaking from a fever, a routine "what does it mean"
    ("orient", "The house is falling apart around me but I need to move the physical."),
    ("orient", "He's been shaking with chills and a fever since the biopsy yesterday."),
    ("orient", "What's that mean, like, when will the authorization come through?"),
    ("validate_first", "Great, thanks a lot, that's all I needed today."),
    # the nightmare is in their head, not the paperwork
    ("validate_first", "Sorry, my head is a mess today, the forms for the referral are all here."),
    # sarcasm about a scary test is fear under the joke, not anger at a bill
    ("validate_first", "Nothing says a fun Friday like a scan for lung cancer."),
    # a price is "a lot"
    ("offer_choice", "Four hundred a month for the inhaler and the copay on top, it's a lot."),
    # calling round pharmacies for stock is not a dropped contact; confusion is not a bounce
    ("own_it", "I called three pharmacies myself and nobody has it in stock."),
    ("own_it", "I've got three lists and nine bottles here. I'm just going in circles."),
]


@pytest.mark.parametrize(("kind", "text"), RAISES)
def test_raises_in_other_words(kind: str, text: str) -> None:
    assert kind in kinds(text)


@pytest.mark.parametrize(("kind", "text"), QUIET)
def test_look_alikes_stay_quiet(kind: str, text: str) -> None:
    assert kind not in kinds(text)
