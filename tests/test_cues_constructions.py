"""General constructions added to the playbook after the second blind round.

Each construction (a class of wordings, not a sentence) gets positives in fresh
wordings and negatives for its look-alikes. None of these sentences comes from a
call script.
"""

from __future__ import annotations

import pytest

from cues.engine import CueEngine
from tests.cue_support import kinds
from transcription.types import Utterance


def heavy_after(*caller_turns: str) -> bool:
    """Whether ``take_a_reset`` comes at the end of a call with these caller turns."""
    engine = CueEngine("unit")
    for i, text in enumerate(caller_turns):
        engine.feed(Utterance("unit", "caller", i, text, float(i), float(i) + 1.0, True))
    return any(e.cue.kind == "take_a_reset" for e in engine.end_call() if hasattr(e, "cue"))


POSITIVE: list[tuple[str, str, str]] = [
    # reflect_back: a plea to be heard with an intensifier; repeating an answer
    ("reflect_back", "caller", "Could you actually listen for one second?"),
    ("reflect_back", "caller", "Will you please hear what I'm telling you?"),
    ("reflect_back", "caller", "I've answered that same question twice already."),
    ("reflect_back", "caller", "I've spelled my last name three times now."),
    ("reflect_back", "caller", "That's not what I called about at all."),
    # own_it: told to call elsewhere beside a failure; a loop; a failed attempt
    ("own_it", "caller", "Pharmacy says they never got the script and told me to call the clinic."),
    ("own_it", "caller", "The surgeon said I should call billing, and billing doesn't have it."),
    ("own_it", "caller", "I'm stuck in this loop between you and the insurer."),
    ("own_it", "caller", "They said it was approved, and now they're saying it needs more."),
    ("own_it", "caller", "I phoned the supply company and the call dropped after an hour."),
    ("own_it", "caller", "They kept me on hold for ninety minutes yesterday."),
    ("own_it", "caller", "I've been trying to reach someone in billing for two weeks."),
    ("own_it", "caller", "I left a message Monday and I still haven't heard back."),
    ("own_it", "caller", "Nobody ever calls me back."),
    # offer_choice: a fried brain; not knowing how to manage all of it
    ("offer_choice", "caller", "My head is just mush after that appointment."),
    ("offer_choice", "caller", "I don't know how I'm supposed to keep track of all this."),
    # subtext_exhausted: an end point asked for in other words
    ("subtext_exhausted", "caller", "Will there ever be a last one of these infusions?"),
    ("subtext_exhausted", "caller", "There's no end in sight with these injections."),
    ("subtext_exhausted", "caller", "Okay, so what's left to do at this point?"),
    ("subtext_exhausted", "caller", "Every time I call there's another form to fill out."),
    ("subtext_exhausted", "caller", "How many of these do I still have to go through?"),
    # subtext_cost: asking leave to take less, cost unsaid
    ("subtext_cost", "caller", "Is it bad if I only take my amlodipine every few days?"),
    ("subtext_cost", "caller", "Would it be fine to go a bit lower on the insulin for now?"),
    ("subtext_cost", "caller", "Can I only use the inhaler when I feel wheezy?"),
    ("subtext_cost", "caller", "I'm on the Jardiance. Could I take it every other day?"),
    ("subtext_cost", "caller", "Is it okay if she goes down to just the morning pill for now?"),
    # subtext_fear: is it needed at all, or could we watch and wait
    ("subtext_fear", "caller", "Is the colonoscopy something I really need this year?"),
    ("subtext_fear", "caller", "Could we just wait and see on the ultrasound?"),
    # explain_the_no: not booking or scheduling new patients
    ("explain_the_no", "agent", "We're not scheduling new patients until the spring."),
    # close_the_loop: a waitlist is a handoff to the future
    ("close_the_loop", "agent", "I'll add you on the cancellation list for now."),
    # round 4: sent elsewhere; running together; the end of it; passing on care; no way around
    ("own_it", "caller", "Whoever I get, they just point me somewhere else."),
    ("own_it", "caller", "Every office I talk to says it's someone else."),
    ("offer_choice", "caller", "The diet and the pills and the shots are all blurring together."),
    ("offer_choice", "caller", "I honestly can't tell what's what with these papers."),
    ("subtext_exhausted", "caller", "How close are we to the end of these treatments?"),
    ("subtext_fear", "caller", "I think I'll opt out of the stress test this time."),
    ("explain_the_no", "agent", "There's really no way around the deductible, I'm sorry."),
    # round 5: did it register; more than I can handle; ever off this; leave it on longer;
    # doing care later instead; a role owner reaching out; a hedged week
    ("reflect_back", "caller", "Did anything I told you actually sink in?"),
    ("offer_choice", "caller", "Honestly it's more than one person can manage."),
    ("subtext_exhausted", "caller", "Will I ever be done with these dressings?"),
    ("subtext_cost", "caller", "Can I wear the CPAP mask for a couple of months before swapping?"),
    ("subtext_fear", "caller", "Could we have the mammogram after the holidays instead?"),
    ("close_the_loop", "agent", "Your coordinator will be reaching out about that."),
    ("real_timeline", "agent", "You'd hear sometime next week."),
    ("real_timeline", "agent", "It should be ready next week, probably."),
    # round 6: forever; off the books until ready; lasts longer; losing track;
    # connect you; let them know; ask the team to look into it; can't promise
    ("subtext_exhausted", "caller", "So am I just getting these shots forever?"),
    ("subtext_fear", "caller", "Take me off the schedule for the biopsy, please."),
    ("subtext_fear", "caller", "I'll rebook the scan when I'm ready."),
    ("subtext_cost", "caller", "I use one drop instead of two so the bottle lasts longer."),
    ("offer_choice", "caller", "I keep losing track of which form goes where."),
    ("close_the_loop", "agent", "Let me connect you with the referral coordinators."),
    ("close_the_loop", "agent", "I'll let them know you called."),
    ("close_the_loop", "agent", "I'll ask the billing team to look into it."),
    ("explain_the_no", "agent", "We can't guarantee it'll be done by then."),
    # round 7: I keep saying; the wrong one; not signed off;
    # shoot her a message; another message
    ("reflect_back", "caller", "I kept telling you it's the left knee."),
    ("reflect_back", "caller", "You're pulling up the wrong account."),
    ("explain_the_no", "agent", "Your insurance still hasn't okayed the procedure."),
    ("close_the_loop", "agent", "I'll drop Dr. Lane a quick note."),
    ("close_the_loop", "agent", "I'm putting in another request for a callback."),
    # round 8: testing as care; those can take a bit; chasing a third party with no
    # when; way over my head; get by with just one; said no as an answer
    ("subtext_fear", "caller", "I think we'll skip the allergy testing this spring."),
    ("real_timeline", "agent", "Orders like that can take a little while."),
    ("close_the_loop", "agent", "I'll check with the pharmacy and get back to you."),
    ("offer_choice", "caller", "Honestly I'm way over my head with all of it."),
    ("subtext_cost", "caller", "Could I get by with just the one pill instead of both?"),
    ("explain_the_no", "agent", "Dr. Rao said no, unfortunately."),
    # round 9: finishing a course; doesn't think it's needed; you guys say never;
    # can barely think; let me get a word out; ever going to heal; let it go /
    # whether I need to go through with it; pass your name along; the tautology
    ("subtext_cost", "caller", "Is it necessary to finish the whole bottle? I'd save the rest."),
    ("explain_the_no", "agent", "The doctor doesn't think an MRI is needed yet."),
    ("own_it", "caller", "The lab sent it and you guys say you never received it."),
    ("offer_choice", "caller", "Since the diagnosis I can hardly think."),
    ("reflect_back", "caller", "Could you please let me finish?"),
    ("subtext_exhausted", "caller", "Is this rash ever going to clear up?"),
    ("subtext_fear", "caller", "I'm asking whether I really need to go through with the scan."),
    ("close_the_loop", "agent", "I'll pass your number along to the nurse."),
    ("real_timeline", "agent", "Honestly, approvals happen when they happen."),
    # round 10: missing the point; two-word team names; too many X pieces; off the
    # plan's list, will only do; the same problem back; not going to go
    ("reflect_back", "caller", "You're completely missing my point here."),
    ("close_the_loop", "agent", "Let me send this to the prior auth review team."),
    ("offer_choice", "caller", "There are too many little steps for me."),
    ("explain_the_no", "agent", "It isn't on the formulary, they'll only cover the generic."),
    ("own_it", "caller", "Same bill I called about in March, they took it off and now it's back."),
    ("subtext_fear", "caller", "About the mammogram, I've decided not to go."),
    # round 11: anyone hearing me; get to stop; leaving out a pill; hold off until;
    # lost the thread; knocked it back; in the queue; flag it for her
    ("reflect_back", "caller", "Is anybody actually listening to me?"),
    ("subtext_exhausted", "caller", "At what point do we finally stop the infusions?"),
    ("subtext_cost", "caller", "I've been leaving out the lisinopril on weekends."),
    ("subtext_fear", "caller", "Can we hold off on the biopsy until after summer?"),
    ("offer_choice", "caller", "With all these appointments I've totally lost the plot."),
    ("explain_the_no", "agent", "Insurance kicked it back again, sorry."),
    ("real_timeline", "agent", "It's in the queue, someone will get to it."),
    ("close_the_loop", "agent", "I'll flag this for the charge nurse."),
    # round 12: off a named list; rebook down the road
    ("subtext_fear", "caller", "Take my name off Monday's colonoscopy list."),
    ("subtext_fear", "caller", "I'll reschedule the biopsy some other time."),
    # explain_the_no: a payer's no with its subject; said no; only approving; can't read out
    ("explain_the_no", "agent", "Your insurance isn't going to be paying for the brand name."),
    ("explain_the_no", "agent", "Medicare won't be picking up the walker, unfortunately."),
    ("explain_the_no", "agent", "The review came back and said no."),
    ("explain_the_no", "agent", "They're only approving thirty tablets a month."),
    ("explain_the_no", "agent", "I'm not able to share those results over the phone."),
    # real_timeline: the owner's spare moment; unknowable; it varies
    ("real_timeline", "agent", "She'll look at it whenever she has a free minute."),
    ("real_timeline", "agent", "Honestly it's tough to pin down."),
    ("real_timeline", "agent", "How long it takes really varies, it's usually done eventually."),
    # close_the_loop: the case must go elsewhere; filing a report without a when
    ("close_the_loop", "agent", "This will need to go to our compliance office."),
    ("close_the_loop", "agent", "I'm filing a grievance for you."),
    # urgent_risk: pressure described as weight; left-arm symptoms
    ("urgent_risk", "caller", "It's like an elephant is sitting on my chest."),
    ("urgent_risk", "caller", "My left arm keeps going numb and I feel sweaty."),
]

NEGATIVE: list[tuple[str, str, str]] = [
    # reflect_back: a line check; disappointment; first mention
    ("reflect_back", "caller", "Hello? Can you hear me okay?"),
    ("reflect_back", "caller", "That's not what I expected it to cost, but fine."),
    ("reflect_back", "caller", "I've given blood twice this year with no trouble."),
    # own_it: a plain referral; no runaround; a first wait; a routine hold
    ("own_it", "caller", "My doctor told me to call you to book the MRI."),
    ("own_it", "caller", "Thanks for not giving me the runaround."),
    ("own_it", "caller", "I had the scan Tuesday and still haven't heard anything."),
    ("own_it", "caller", "Sorry, the call dropped, I'm back now."),
    # offer_choice: a pain complaint; knowing how
    ("offer_choice", "caller", "My head is full of congestion and it hurts."),
    ("offer_choice", "caller", "I know how I'm supposed to take all of it, thanks."),
    # subtext_exhausted: leftovers that are not an end point; a routine schedule
    ("subtext_exhausted", "caller", "What's left on my deductible this year?"),
    ("subtext_exhausted", "caller", "How many of these pills do I have left?"),
    ("subtext_exhausted", "caller", "Every week I get another allergy shot, it's fine."),
    # subtext_cost: the doctor changed it; no treatment; a timing question
    ("subtext_cost", "caller", "The doctor said to take insulin every other day now, right?"),
    ("subtext_cost", "caller", "Would it be okay to come in every other week instead?"),
    ("subtext_cost", "caller", "Is it okay if I take it with food?"),
    # subtext_fear: no care named; a wait the doctor set
    ("subtext_fear", "caller", "Could we just keep an eye on the weather before driving?"),
    # reflect_back: told a third party
    ("reflect_back", "caller", "I already told my daughter she's picking me up."),
    # close_the_loop: a waitlist with an owner and a date
    ("close_the_loop", "agent", "I'll put you on the waitlist and I'll call you Friday at 10."),
    # round 4 look-alikes
    ("own_it", "caller", "My doctor referred me to a specialist for my knee."),
    ("offer_choice", "caller", "The kids are running together in the yard."),
    ("subtext_exhausted", "caller", "I'll be away until the end of the month."),
    ("subtext_fear", "caller", "I'd like to opt out of the newsletter emails."),
    ("explain_the_no", "agent", "There's no rush on the form, any time is fine."),
    # round 5 look-alikes
    ("reflect_back", "caller", "What I said to the pharmacist went in my chart."),
    ("offer_choice", "caller", "He eats more than I can believe."),
    ("subtext_exhausted", "caller", "Am I ever going to get a copy of the bill?"),
    ("subtext_fear", "caller", "I can't do mornings because of my work shift, move the MRI?"),
    ("close_the_loop", "agent", "Your nurse will call you at 2 today, her name is Pat."),
    ("real_timeline", "agent", "It was sent sometime last week."),
    # round 6 look-alikes
    ("subtext_exhausted", "caller", "Thanks, I'll remember this forever."),
    ("subtext_fear", "caller", "Please take me off the mailing list."),
    ("close_the_loop", "agent", "Please call 911, or I can connect you to our crisis line."),
    ("close_the_loop", "agent", "I'll let them know at the desk, and I'll call you at 3 today."),
    # round 7 look-alikes
    ("reflect_back", "caller", "That's what they said in October."),
    ("reflect_back", "caller", "I keep saying to myself I should walk more."),
    ("explain_the_no", "agent", "They haven't approved it yet, it only arrived today."),
    ("close_the_loop", "agent", "I'll shoot you a text with the address."),
    # round 8 look-alikes
    ("explain_the_no", "agent", "Dr. Rao said no changes are needed."),
    ("real_timeline", "agent", "It takes a bit of practice, but you'll get it."),
    ("close_the_loop", "agent", "I'll check with the pharmacy right now while you hold."),
    # round 9 look-alikes
    ("subtext_cost", "caller", "I want to save some money this year."),
    ("subtext_cost", "caller", "Keep the rest of the day free, I'll call after."),
    ("offer_choice", "caller", "I can barely wait for the weekend."),
    ("subtext_fear", "caller", "Let it go to voicemail, I'll call back."),
    # round 10 look-alikes
    ("subtext_fear", "caller", "I'm not going to go anywhere until the scan, I'll wait here."),
    ("own_it", "caller", "The pain went away and now it's back, should I be seen?"),
    # round 11 look-alikes
    ("real_timeline", "agent", "The nurse will get to you by 3 today."),
    ("subtext_fear", "caller", "Can I hold off on eating until after the blood draw?"),
    ("offer_choice", "caller", "I lost the thread count tag on the blanket."),
    # round 12 look-alikes
    ("subtext_fear", "caller", "Please take me off the mailing list, I moved."),
    # explain_the_no: advice to the patient; a yes; a quoted no-problem
    ("explain_the_no", "agent", "Don't pay the bill until the new statement comes."),
    ("explain_the_no", "agent", "You don't pay anything today."),
    ("explain_the_no", "agent", "The plan said no problem, it's approved."),
    ("explain_the_no", "agent", "I'm able to read you the results, they're normal."),
    # real_timeline: a real time; hard to say what it means; depends on money
    ("real_timeline", "agent", "She'll call you when she has a minute, by 3 today."),
    ("real_timeline", "agent", "It's hard to say what that number means without the doctor."),
    ("real_timeline", "agent", "It depends on your plan whether it's covered."),
    # close_the_loop: a complete handoff; the patient calls the agent; 911
    ("close_the_loop", "agent", "This has to go to our privacy team, Dana will call you by noon."),
    ("close_the_loop", "agent", "If it still doesn't work, they can call me directly."),
    ("close_the_loop", "agent", "Please have her call 911 right now."),
    # urgent_risk: recovery after surgery; a past event
    ("urgent_risk", "caller", "Since the shoulder surgery I still can't lift my arm over my head."),
    ("urgent_risk", "caller", "Years ago my left arm went numb from a pinched nerve."),
]


@pytest.mark.parametrize(("kind", "speaker", "text"), POSITIVE)
def test_construction_raises(kind: str, speaker: str, text: str) -> None:
    assert kind in kinds(text, speaker)


@pytest.mark.parametrize(("kind", "speaker", "text"), NEGATIVE)
def test_lookalike_does_not_raise(kind: str, speaker: str, text: str) -> None:
    assert kind not in kinds(text, speaker)


@pytest.mark.parametrize(
    "turns",
    [
        ("My father died three weeks ago and I need his records.",),
        ("My husband passed away in June, and there's a bill in his name I don't understand.",),
        ("I had a miscarriage on Saturday, please cancel the ultrasound.",),
        ("The doctor called yesterday, the scan showed a tumor on my kidney.",),
        ("They told us on Monday that it's terminal.",),
    ],
)
def test_heavy_news_makes_a_reset(turns: tuple[str, ...]) -> None:
    assert heavy_after(*turns)


@pytest.mark.parametrize(
    "turns",
    [
        ("My grandmother died years ago of a stroke, is that family history?",),
        ("I'm scared it's cancer, is it?",),
        ("My mom had breast cancer, so I get yearly mammograms.",),
        ("I had a miscarriage back in 2015, it's on my chart.",),
        # a machine that died is no death
        ("My power chair's joystick died on Saturday, and insurance says to call you.",),
        ("The oxygen concentrator died over the weekend, we're on the backup tanks.",),
        # a terminal that is a place
        ("My card runs out the 30th. I drive grain to the terminal, that's my living.",),
    ],
)
def test_history_or_fear_is_not_heavy(turns: tuple[str, ...]) -> None:
    assert not heavy_after(*turns)


def test_a_titles_full_stop_ends_no_sentence() -> None:
    from cues.text import split_sentences

    norm = "i'll send a note to dr. salas's office, so they know. ms. lee will call. no. fine."
    spans = [norm[s.start : s.end] for s in split_sentences(norm)]
    assert spans == [
        "i'll send a note to dr. salas's office, so they know",
        "ms. lee will call",
        "no",
        "fine",
    ]
