"""Precision guards from unseen writers' calls (train_m..o): where a card is not wanted.

Each guard comes with a sentence that must stay quiet and one close to it that must
still raise the card, both written here (not copied from any script): an offer of a
callback is not yet a handoff, an agent who arranges a named person's call at a real
time owns it, emailing the caller a document is not handing the case on, a third
party getting back to the office is not a promise to the caller, shaking with anger
is anger, a swapped time of day or a bill split into payments is not less care,
annoyance said as mild is not a card, and a wallet that "fainted" is a joke.
From train_s..v: a handoff to a named party dated in or after its own sentence is
complete; "I can put you on the list" is an offer; "have her call this line" is the
caller's part; a note on the account is record-keeping; "nine one one" is 911; a
bill paid in parts is not less care; someone else's fed-up-ness is not the caller's
anger; "sorry, that's not what I called about" is a digression, not feeling unheard.
From train_w..z: "I can't read results to you, but ..." is the agent's role, not a no.
From train_aa..ad: the agent walking a form over "until 5" owns it; "I'll wait in the
car" is no threat; pills kept "in case I decide I've had enough" are despair, not anger.
From train_ae..ah: "kept telling me" is not being bounced unless it sends you on; a
move to next week or for a boss's inventory day is no fear; skipping a test is not
a cost question; "They'll text you" after "ready at Walgreens after 3" is dated; a
warm transfer ("I'll stay on") is complete; "you people are useless" is abuse.
From train_ai..al: "Ruth call" is not a fourth call; saying back what the caller said
is not a handoff; feeling fine enough to skip a medicine is a cost question.
From train_ao..ar: worry about a job, a landlord or the rent is not orient's fear about
care, nor a fear said with what settled it; "nothing changes?" asked is no complaint;
a visit the office moved for the third time is no repeat call; "do I just not wake
up" of one's own sedation is a question; a cancellation to leave the practice is
not fear; sarcasm that scores the grievance ("ten out of ten") is anger; a list
that keeps growing ("anything else after this?") is exhaustion.
From train_as..av: nerves "in the good way", "nervous but fine", or talked through
already are not a card; an arm that can't be lifted to wash one's hair beside a bad
shoulder, or breath short on a walk, is clinic talk, not an emergency; "I called to
cancel that appointment" disputes a fee; a note on the appointment is record-keeping;
"the day after the draw" is a real date. Misses read there: an earlier dated contact
and what became of it ("I called in September, they said they'd resubmit it. Nobody
did"), "isn't approved", "still denied", a vendor's call with no date, "seconds from
losing it", "it's an absolute joke", "make it go longer".
From train_aw..az: a move for dialysis days, a new shift, or to an earlier date is no
fear; "had enough of these attacks" is a symptom; a result that "has to come from the
provider" is the agent's role; "will call you if it changes" is a contingency and
"so she knows" a colleague informed, not the case handed on. Misses: "if I'm not
planning on sticking around" (self-harm said sideways), "twenty units instead of
thirty", "I can't refund it", "we can't recall it".
From train_ba..bd: a counselor's "call them about it" is a referral, a shortage's third
week no repeat call; a stillbirth, a work training, not being able to drive explain a
cancellation; an overdose in a death already told is grief; "sent to final notice" is
a status; "zero. Love that." is glad; "so it can't be filled again" is a safeguard.
"Prenatal" tells a pregnancy.
From train_be..bh: the fear of anaesthesia ("people not waking up"), apnoea in sleep, a
toddler's look, a billing worry, "or connect you" offered, a slot offered ("do you
want later this week?") are no cards; "I don't see why I'm still here", "everyone would
be kind of relieved", a week's pill box emptied at once are urgent, and "I'm not sure if
this is anything" is a hedge before the news, not a condition.
From train_bi..bl: "I was unconscious" of one's own past, a leaflet's warning about
suicidal thoughts, "when should I worry?", a reviewer who "decided I don't need it", a
relative's event as the reason, a contingency ("if she has questions she'll call you")
and offers ("I can call", "can I have her call you?") are no cards.
From train_bm..bp: a faint "once", choking oneself awake at night, "why did you people
cancel it" (the office's doing), "scared me straight" are no cards; "I don't think
I'll be around much longer" is urgent (the negation is the message); "the
receptionist playing doctor", "you sound about fifteen", "put a real nurse on" are
abuse; "nobody seems to care" is anger.
From train_bq..br: "is it bad to wait?" asks about the delay; a friend's "worst night
of his life" is his story; "one of the schedulers will call", "I've sent them over to
Dr. Yu's assistant", "I've opened a dispute for you" hand the case on.
From train_bs..bv: "I've been googling it and I honestly can't breathe", a leaflet's
warning read with fillers, a double dose poison control already cleared, "breathing
normal, snoring", "the doctor has to look at them", "not up for going", a tracking
number emailed, "way less scary", "which is dumb" are no cards.
From train_bw..bz: fear taken back ("just kidding"), eager ("anxious to get this
wrapped up"), an intensifier ("scary quick"), a dread lifted ("perfect, I was dreading
that"), overwhelm laughed off ("ha"), the caller's own "I said I'd think it over", advice
to call one's doctor, a recital as the reason, a bill put off to January, "so I don't
need the scan" after good news, a date moved early, "can't go without", a rule known
("I know you can't ... I'm not asking for that"), the wrong records received (the
office's error, not mishearing), "kind of rude" are no cards; "it's Thursday" after a
promised call, a transfer that hung up, "can't really catch my breath", "sick to death
of this", "cruel" raise; a date read off the record before a handoff is not its when.
From train_ca..cf: worry about a flight, the snow, new people, a past-due notice; a
worry lifted ("oh good, I was worried I'd ..."); the clinician's own timing ("said come
back in the spring", "didn't need to see me till spring"); a board meeting; a PA's
condition met; time off work; "a few days after that" a date; "but if you bring the
ticket" are no cards; "depends on their caseload", "they'll do their best", "I'll pop
you over", a ticket with no date, a full mailbox, "the system won't let me fill it",
"could we hold off?", "don't need to drive in for the results" raise.
From train_cg..cl: disbelief at good news ("shut up, no way", "that's insane, I was
braced for two grand"), self-mockery ("I'm ridiculous", "like an idiot"), "I don't care
who", a child's fear of the dentist, a leaflet's "scary paragraph", a hypothetical
panic, a faint told "from when I passed out", a visit moved the second time, "ask them
to transfer it", a germ the antibiotic doesn't cover, a question about a no, a no said
back, "supposed to skip insulin?", someone else's excuse, a form to sign, paperwork
that moves with the visit are no cards.
From train_cm..cp: children eating "all the yellow" Jell-O, a dose before a scope
("take it or skip it?"), asking whether a visit must move, a dread lifted, a frequency
("every month or so"), the doctor's own splitting are no cards; a headache "like nothing
I've ever had" with a clumsy hand, an inhaler that does nothing and a few words a
breath, "hung up on three times", "said it's not them", "our driver will contact
you", "our team will take care of it" ("take care of" is not the farewell "take care"),
"fairly quickly", "who decided it was a good idea", "oh my God, what do I do?", "make
the pills last" raise.
From train_cq..ct: "come back and bite me", poison ivy, lice "second time this year",
running back and forth to the bathroom, a side effect's "should I stop it?", a payment
split across visits, how long a symptom lasts, a dread lifted, nerves taken back, "not
worried or anything", a statement in the mail are no cards.
From train_cu..cw: an ambulance bill for an old collapse, a cast saw that will "cut
his arm off", the fear of going under, the office cancelling a third time, "can't take
that chance", "nobody's been rude" are no cards; "unfortunately we cant" (no
apostrophe) is a no.
From train_cx..da: anger that is over, at a dog or the snow, or a sister's; a fear
settled by what the doctor did; a nervous flyer, work deadlines; "not, like, freaking
out"; a limit with a way on; a prescription transferred; a move out of state;
"anything the week after"; an offer to move a visit are no cards.
From train_eo..er (session 10): teasing about a relative, a reminder letter timed
before its due date, a sick sibling or a grandchild's recital as the reason to move a
visit, a note on a check-in, dreading the phone tree, how quick a lunch hour is, a
hedged estimate ("but I can't promise"), a courtesy that stops a callback are no
cards; "you're a crook", "do you guys even have a brain", "cancelled instead of
moved", "we'll have someone look into it", lips blue "every time she breathes" raise.
From train_es..ev: an interpreter in the room, another's words quoted, a report's one
line "and then nothing", a pen carried back and forth, what was to have happened, no
car, a relative's or a toddler's "offended", a child "bugging me", "not because I'm
panicking or anything", a contingency's callback, "figured it'd take forever" are no
cards; "swore up and down", a rebill promised then collections, "talked to someone"
three times, a knock to the head on a thinner with vomiting, "is the baby okay?", "call
you back later", "let me ... call you back soon", "I'm offended" raise.
From train_ew..ez: prep "done twice", "a lot of spinach", a sibling's wedding, coverage
as it usually goes, the caller's own errand, a confirming letter are no cards; wanting
to be "done", a promise quoted ("you'll get a call"), "nobody can be bothered", the
story told to the last person, each side pointing at the other, "I was told it was
fixed", "swore they sent", a chain of transfers, "the team will process it", "while
this thing grows" raise.
From train_fa..fd: a worry "for nothing", "not because I'm nervous", a wage "too much",
a transfer in the present to a named person, "back to desk work in a week or so", a
drain that "drives me nuts", waking up "with the wrong knee", results the agent can't
discuss "but" with a way on, "later in the week" are no cards; speech gone odd with
a numb hand, a sharp pain on breathing in with breathlessness raise.
From train_fe..fg: staying on while connecting a named nurse, a transfer with its
fallback number, "a thing at my grandson's school", a company sending one away,
hating being hungry, a two-dose vaccine are no cards; asking the team to "get that
out", a claim "submitted for reprocessing" with only a reference number, "one of
them will call", "transferred me four times", a chain of "sends me to" raise.
From train_fh..fj: a lesson learned about skipping, "nowhere to be", a vendor's
schedule checked, a web quirk passed on, a waitlist on top of a booked date,
"annoyed but fine", a reassurance ("doesn't do injections without talking it
through"), panic about money are no cards; "told the front desk twice", "the last
fellow", "no refund due" raise.
The playbook's guards are tested alone (no learned layer, no emotion reader): the
learned layer is retrained and judged on the scripts, not on these sentences.
"""

from __future__ import annotations

import pytest

from tests.cue_support import kinds


def playbook_kinds(text: str, speaker: str) -> set[str]:
    return kinds(text, speaker, learned=False, emotion=False)


QUIET: list[tuple[str, str, str]] = [
    # train_ik/il look-alikes: a courtesy, opening hours, a reminder timed from the date,
    # a double booking, doses skipped to make a supply last (cost's, not fear's)
    ("explain_the_no", "agent", "Don't worry, I won't put you on hold this time."),
    ("subtext_exhausted", "caller", "How much longer is the pharmacy open tonight?"),
    ("real_timeline", "agent", "Friday the 9th at 10. We send a reminder two days before."),
    ("subtext_fear", "caller", "They double-booked me, so I want to cancel one of them."),
    ("subtext_fear", "caller", "She's skipping her evening dose to make the bottle last."),
    # what becomes of a late mother's mail is an errand (train_ii)
    ("orient", "caller", "She lived alone, so I don't know what's going to happen to her mail."),
    # the reply to the agent's urgent advice, not fear to orient (training: 5 of 5 wrong)
    ("orient", "caller", "Alright, alright, I'm calling them. You're kind of scaring me."),
    # a hedge on a date is no refusal (train_ig)
    ("explain_the_no", "agent", "I can't promise Thursday, but I'll push for it."),
    ("explain_the_no", "agent", "We can't guarantee tomorrow. The lab runs them overnight."),
    # a payment put off to payday; the office owning the billing slip (train_if)
    ("offer_choice", "caller", "I can pay some now but I can't do all of it until payday."),
    (
        "explain_the_no",
        "agent",
        "Your plan only covers the in-house lab. That was a mix-up on our end.",
    ),
    # someone else's call unanswered is no runaround of the caller; "why on earth"
    # alone is surprise as often as anger (training: wrong 5 times of 5)
    ("own_it", "caller", "My mom asked the aide for a blanket and nobody brought one."),
    ("validate_first", "caller", "Why on earth is the generic cheaper than my copay?"),
    # two shots split between the arms; a video visit instead of coming in (train_id)
    ("subtext_cost", "caller", "Can I get both in one arm or do they split them up?"),
    ("subtext_cost", "caller", "Could I do one of those telehealth visits this time?"),
    ("close_the_loop", "agent", "If you'd like, the nurse can call you to go over the prep first."),
    ("close_the_loop", "agent", "Do you want me to have the pharmacist call you about the cost?"),
    ("close_the_loop", "agent", "I'll have the nurse call you this Friday to walk through it."),
    ("close_the_loop", "agent", "I'll have her call you by Thursday with the options."),
    ("close_the_loop", "agent", "That's six payments from the first. I'll email the agreement."),
    ("close_the_loop", "agent", "We faxed his office this morning and they'll get back to us."),
    ("close_the_loop", "agent", "Yes, we faxed the clinic. They should get back to us shortly."),
    (
        "close_the_loop",
        "agent",
        "Sign the release on your phone, and Priya's team faxes it within two business "
        "days, so by Monday. They'll email you when it's gone.",
    ),
    ("orient", "caller", "I'm so angry I'm shaking, they cancelled it again with no call."),
    ("orient", "caller", "Honestly I'm furious, I'm trembling, how does this keep happening?"),
    ("orient", "caller", "They moved my surgery a third time and I'm beside myself mad."),
    ("subtext_cost", "caller", "My shifts changed, so could we do the therapy evenings instead?"),
    ("subtext_cost", "caller", "Can I split the bill into three monthly payments?"),
    ("validate_first", "caller", "Mildly annoyed, the app logs me out. Not the end of the world."),
    ("validate_first", "caller", "No rush on the referral, it's annoying more than anything."),
    ("urgent_risk", "caller", "I opened the bill and my wallet just fainted. Can I pay monthly?"),
    ("close_the_loop", "agent", "Approved; I can transfer you to their scheduler right now."),
    ("close_the_loop", "agent", "I'll email the rest as a list with the dates on it."),
    (
        "subtext_fear",
        "caller",
        "My boss sends me to Ohio that week. Can we push the scan? Any day the week after works.",
    ),
    ("close_the_loop", "agent", "Omar from the wound clinic will call you Thursday at ten."),
    ("close_the_loop", "agent", "I'm paging Dr. Reyes right now and she'll contact the ER."),
    ("close_the_loop", "agent", "Their coordinator, Lena Fox, will mail you the forms by Monday."),
    ("close_the_loop", "agent", "The schedule is full, but I can put you on the waitlist."),
    ("close_the_loop", "agent", "Sure, have him call this number and we'll set his up too."),
    ("close_the_loop", "agent", "I'll put a note on your account that the card was updated."),
    ("close_the_loop", "agent", "hang up and call nine one one now, have her call us after"),
    ("subtext_cost", "caller", "I got the statement for the MRI. Is there a way to split it up?"),
    ("subtext_fear", "caller", "It's two hundred dollars and I'd rather not pay it all at once."),
    ("offer_choice", "caller", "I'm happy to pay, I just can't do it all at once this month."),
    ("validate_first", "caller", "Thanks. My husband's sick of hearing me talk about this knee."),
    ("own_it", "caller", "My insurance keeps sending me these letters about mail order."),
    ("reflect_back", "caller", "I haven't slept in days. Sorry, that's not what I called about."),
    ("explain_the_no", "agent", "I can't read results to you, but her note says routine."),
    ("explain_the_no", "agent", "I'm not a nurse, I can't interpret it, but I'll have her call."),
    ("own_it", "caller", "The plan keeps sending me flyers about their mail order pharmacy."),
    ("close_the_loop", "agent", "I'm walking the form to her now, she's in clinic until 5."),
    ("abuse", "caller", "Twenty minutes? Okay, I'll wait in the car."),
    ("validate_first", "caller", "I've kept the pills for the day I decide I've had enough."),
    ("own_it", "caller", "The app kept telling me my address was invalid."),
    ("own_it", "caller", "Every time I call somebody changes my words."),
    ("subtext_fear", "caller", "My boss put us on inventory the 12th. Can we move my physical?"),
    ("subtext_fear", "caller", "The diabetes check is Friday, I want to move it to next week."),
    ("subtext_cost", "caller", "It's a copay again, can I just skip the follow-up appointment?"),
    ("close_the_loop", "agent", "It'll be ready at Walgreens after 3 today. They'll text you."),
    ("close_the_loop", "agent", "I'm going to transfer you to Ben in pharmacy, and I'll stay on."),
    ("explain_the_no", "agent", "They rejected it as not active. With the new card I'll rebill."),
    ("orient", "caller", "Her pneumonia last winter was scary at the time, she's fine now."),
    ("own_it", "caller", "Okay. I'll have Ruth call. Should I take an aspirin?"),
    ("own_it", "caller", "Great. So nothing changes except the card."),
    ("own_it", "caller", "I called Tuesday to book it and it's all set, I just need the address."),
    ("close_the_loop", "agent", "I'll put a note on it that you're waiting. Hang in there."),
    ("close_the_loop", "agent", "So what I'm hearing is the referral has been sent twice."),
    ("explain_the_no", "agent", "I can't give results out myself. I'll send the nurse a message."),
    ("subtext_fear", "caller", "They flipped me to nights, so could we move the skin check?"),
    ("subtext_fear", "caller", "Do I have to use the inhaler every day? I feel fine."),
    ("real_timeline", "agent", "Once it's signed, you'll get a confirmation email."),
    ("subtext_exhausted", "caller", "How many visits are left? Just trying to plan around soccer."),
    # train_ao..ar (session 7)
    ("orient", "caller", "Honestly I'm a wreck about the interview Thursday, can we do Friday?"),
    ("orient", "caller", "My landlord gave us thirty days and I'm so stressed about the rent."),
    ("orient", "caller", "I was a bit nervous when he ordered it, but I'm fine now."),
    ("own_it", "caller", "Hold on, so nothing changes with my copay?"),
    ("own_it", "caller", "I'm calling because they rescheduled my MRI for the third time."),
    ("urgent_risk", "caller", "I've never had sedation. Do I just not wake up for a while?"),
    ("subtext_fear", "caller", "Cancel my follow-up with Dr. Ames. I'll find a different doctor."),
    # train_as..av
    ("orient", "caller", "We're excited and a little nervous, in the good way."),
    ("orient", "caller", "I'm nervous but fine. It's the prep drink I'm dreading."),
    ("orient", "caller", "I was worried at first, but Dr. Lee called and we talked it through."),
    ("urgent_risk", "caller", "Fix my shoulder already? I can't lift my arm to comb my hair."),
    ("urgent_risk", "caller", "He's ninety and gets short of breath walking to the car."),
    ("urgent_risk", "caller", "She's eighty and short of breath walking to the mailbox."),
    ("subtext_fear", "caller", "A no-show fee? I called to cancel that appointment."),
    ("close_the_loop", "agent", "I'll put a note on your appointment so the desk has your copay."),
    ("close_the_loop", "agent", "Her nurse will call you the day after the draw either way."),
    # train_aw..az
    ("subtext_fear", "caller", "I need to move my echo. I do dialysis Tuesdays and Thursdays."),
    ("subtext_fear", "caller", "Work switched me to mornings, so I need to move it."),
    ("subtext_fear", "caller", "Could I move my ultrasound up a little? I'm ten weeks."),
    ("validate_first", "caller", "I just want it done. I've had enough of these attacks."),
    ("explain_the_no", "agent", "I'm not able to go over results, that has to come from Dr. Fox."),
    ("explain_the_no", "agent", "i can't read you the results the provider has to review them"),
    ("close_the_loop", "agent", "It's pending, and the nurse will call you if it changes."),
    ("close_the_loop", "agent", "I'll message Dr. Rivera so she knows, in case she wants labs."),
    ("close_the_loop", "agent", "I'll send a note to Dr. Salas's office, so they know."),
    ("urgent_risk", "caller", "Not planning on sticking around for the party, I'll leave early."),
    # train_ba..bd
    ("own_it", "caller", "My counselor said I should call you about guest dosing. Never done it."),
    ("own_it", "caller", "It's on backorder for the third week in a row, this shortage is a joke."),
    ("subtext_fear", "caller", "Please cancel her newborn checkup. She was stillborn last week."),
    ("subtext_fear", "caller", "Can we move the mole recheck? I have a work training that day."),
    ("subtext_fear", "caller", "I need to move my appointment at two, I don't think I can drive."),
    ("urgent_risk", "caller", "He passed away on Saturday. It was an overdose."),
    ("close_the_loop", "agent", "I see the balance. It's been sent to final notice."),
    ("validate_first", "caller", "Oh, zero. Love that. Is it still shipping Monday?"),
    ("explain_the_no", "agent", "I'll flag the allergy so it can't be filled again."),
    # train_be..bh
    ("urgent_risk", "caller", "Never been put under. I keep reading about people not waking up."),
    ("urgent_risk", "caller", "My wife stopped breathing in her sleep, they did her study here."),
    ("validate_first", "caller", "He looks at me like I'm ruining his life with the thermometer."),
    ("orient", "caller", "I was a little worried the old insurance would get billed."),
    ("close_the_loop", "agent", "I can take the complaint, or connect you to patient relations."),
    ("real_timeline", "agent", "No problem, let me look. Do you want later this week?"),
    ("urgent_risk", "caller", "Everyone would be relieved to hear it's benign."),
    ("subtext_fear", "caller", "I'd like to move my biopsy, my schedule's a mess with work."),
    # train_bi..bl
    ("urgent_risk", "caller", "They act like I took an Uber for fun. I was unconscious."),
    ("urgent_risk", "caller", "The pharmacy printout about, like, suicidal thoughts scared me."),
    ("explain_the_no", "agent", "I can't read it to you, sorry. I'll send Dr. Grant a message."),
    ("close_the_loop", "agent", "She'll fill it in. If she has questions she'll call you."),
    ("close_the_loop", "agent", "I can call and have them transfer it. Is Main Street close?"),
    ("close_the_loop", "agent", "Our social worker handles transport. Can I have her call you?"),
    ("orient", "caller", "Okay. And when should I worry?"),
    ("subtext_fear", "caller", "Some guy at a desk decided I don't need it?"),
    ("subtext_fear", "caller", "I gotta move the stress test, my grandson's thing got changed."),
    ("validate_first", "caller", "This headache came on all at once, the worst one I've ever had."),
    # train_bm..bp
    ("urgent_risk", "caller", "I'm a baby about needles. I passed out at a blood draw once."),
    ("urgent_risk", "caller", "so i just keep choking myself awake at night for what"),
    ("subtext_fear", "caller", "why the hell did you people cancel my appointment for tomorrow"),
    ("orient", "caller", "My dad's heart attack scared me straight, you know."),
    # train_bq..br
    ("orient", "caller", "Okay. Um. Is it bad to wait?"),
    ("validate_first", "caller", "The prep. My buddy said it was the worst night of his life."),
    ("close_the_loop", "agent", "I sent it to the CVS on Harbor. It'll be ready at four."),
    # train_bs..bv
    ("urgent_risk", "caller", "I've been googling it since three and I honestly can't breathe."),
    ("urgent_risk", "caller", "The paper has a black box thing about, um, suicidal thoughts."),
    ("urgent_risk", "caller", "I took it twice, so I called poison control, they said I'm fine."),
    ("urgent_risk", "caller", "He's asleep, he's breathing normal, snoring actually."),
    ("explain_the_no", "agent", "I can't really interpret it. The doctor has to look at them."),
    ("subtext_fear", "caller", "Can we move his visit? He fell, I don't think he's up for going."),
    ("close_the_loop", "agent", "You're all set. They'll email you a tracking number."),
    ("close_the_loop", "agent", "I'll email the digital card to the address on file."),
    ("orient", "caller", "Okay. That's way less scary. Thank you."),
    ("orient", "caller", "Every envelope I'm scared to open."),
    ("validate_first", "caller", "I'm sweaty, which is dumb 'cause it's twenty degrees."),
    ("real_timeline", "agent", "At your CVS within two hours. They'll text you when it's ready."),
    ("orient", "caller", "Honestly I'm freaking out, just kidding, I need a copy of the bill."),
    ("orient", "caller", "I'm anxious to get this wrapped up before my deductible resets."),
    ("orient", "caller", "Wow, that was scary quick, thank you."),
    ("orient", "caller", "Oh perfect, I was dreading that part."),
    ("offer_choice", "caller", "Between the move and the new job it's all too much, ha."),
    ("own_it", "caller", "I said I'd think it over and now I'm calling, nothing urgent."),
    ("own_it", "caller", "The pharmacist said I should call my doctor, and I already took one."),
    (
        "subtext_fear",
        "caller",
        "Her dance recital is that morning, can I move the mammogram?",
    ),
    ("subtext_fear", "caller", "The colonoscopy bill, I'd rather not pay it all in January."),
    ("subtext_fear", "caller", "Oh great. So I don't need the follow-up scan then."),
    ("subtext_cost", "caller", "Can I take my infusion a few days early instead?"),
    (
        "subtext_cost",
        "caller",
        "It's insulin my son can't go without, and it cost three hundred.",
    ),
    ("reflect_back", "caller", "I know you can't refill it early, I'm not asking for that."),
    (
        "reflect_back",
        "caller",
        "I got office notes, not scans. That's not what I asked for.",
    ),
    ("validate_first", "caller", "The tech was kind of rude about it, but whatever."),
    ("close_the_loop", "agent", "Tomorrow at noon. I'll send it to the nurse and she'll call you."),
    ("orient", "caller", "I'm so nervous about the flight, it's eleven hours."),
    ("orient", "caller", "I'm worried about driving in on the highway with all this snow."),
    ("orient", "caller", "She gets anxious with new people, can we keep the same doctor?"),
    ("orient", "caller", "Oh good, I was worried I'd have to start over."),
    ("orient", "caller", "Well, I don't know what to do with all this free time now."),
    ("subtext_fear", "caller", "Dr. Amadi said come back in the spring, so I'd like to book that."),
    ("subtext_fear", "caller", "She said she didn't need to see me till spring, can we push it?"),
    (
        "subtext_fear",
        "caller",
        "Our quarterly board meeting is that morning, can we move the scan?",
    ),
    ("subtext_fear", "caller", "The PA said only keep the recheck if it still hurts. Cancel it."),
    ("subtext_cost", "caller", "Do I need to take the whole morning off for the therapy?"),
    (
        "real_timeline",
        "agent",
        "It's done by December 11th, the letter comes a few days after that.",
    ),
    (
        "explain_the_no",
        "agent",
        "I can't do anything about the rates, but if you bring the ticket we stamp it.",
    ),
    ("abuse", "caller", "Shut up. No way. Are you serious? That's amazing."),
    ("validate_first", "caller", "Shut up. No way. Are you serious? That's amazing."),
    (
        "validate_first",
        "caller",
        "A hundred and forty-five? That's insane. I was braced for two grand.",
    ),
    ("validate_first", "caller", "I'm ridiculous, I wrote it down and forgot anyway."),
    ("validate_first", "caller", "I was dancing at the wedding like an idiot."),
    (
        "validate_first",
        "caller",
        "Resend it. I don't care who, I just want somebody to look at it.",
    ),
    ("orient", "caller", "Heads up, Lucas is kind of scared of the dentist."),
    ("orient", "caller", "The leaflet has this scary paragraph about side effects."),
    ("orient", "caller", "My wife would have called you in a panic."),
    ("urgent_risk", "caller", "They want the paperwork from when I passed out at a wedding."),
    ("own_it", "caller", "This would be the second time we've moved it."),
    ("close_the_loop", "agent", "You'd want to call them and ask them to transfer it to Rite Aid."),
    (
        "explain_the_no",
        "agent",
        "The culture shows the bug isn't covered by the antibiotic you got.",
    ),
    ("explain_the_no", "agent", "Did they say why the crown's not covered?"),
    ("explain_the_no", "agent", "Let me say it back. Your plan doesn't cover that pharmacy now?"),
    ("subtext_cost", "caller", "So I'm just supposed to skip insulin? I can't just skip it."),
    ("offer_choice", "caller", "She says there's too much going on, but honestly there isn't."),
    ("subtext_fear", "caller", "Can the doctor just sign the form, or does he have to come in?"),
    ("subtext_fear", "caller", "The auth for my scan, does that move with it?"),
    ("urgent_risk", "caller", "Is green fine? My kids ate all the yellow."),
    ("subtext_fear", "caller", "I'm on levothyroxine. Do I take it or skip it before the scope?"),
    ("subtext_fear", "caller", "That's the middle of my period. Do I have to move the colposcopy?"),
    ("orient", "caller", "Oh good, the form was the thing I was dreading."),
    ("real_timeline", "agent", "Those cushions usually get swapped every month or so."),
    (
        "subtext_cost",
        "caller",
        "The doctor said something about splitting the pills, is that right?",
    ),
    ("abuse", "caller", "I don't want the bill to come back and bite me later."),
    ("urgent_risk", "caller", "My boots are in the car, so it could be re-poisoning me? The ivy?"),
    ("own_it", "caller", "The school called, he has lice. Again. Second time this year."),
    ("own_it", "caller", "Just the burning and the running back and forth. Started yesterday."),
    ("subtext_cost", "caller", "He's on amoxicillin and now he's got the runs. Should I stop it?"),
    ("subtext_cost", "caller", "Can I split it between the two visits, the prep and the crown?"),
    ("subtext_exhausted", "caller", "He loves yogurt. How long does this last?"),
    ("orient", "caller", "I've been dreading opening the mail and now I don't have to."),
    ("orient", "caller", "That's the thing I was nervous about. Well, not nervous, just curious."),
    ("orient", "caller", "I'm not worried or anything, the portal says zero. Is that a mistake?"),
    (
        "close_the_loop",
        "agent",
        "It takes two to three weeks, then you'll get a statement that says zero.",
    ),
    ("urgent_risk", "caller", "I got a bill for an ambulance ride. My wife collapsed in July."),
    ("urgent_risk", "caller", "Does the saw hurt? He's convinced it's gonna cut his arm off."),
    (
        "urgent_risk",
        "caller",
        "He went under years ago, and I keep thinking, what if I don't wake up?",
    ),
    ("own_it", "caller", "This is the third time you've cancelled my daughter's appointment."),
    (
        "explain_the_no",
        "agent",
        "Those are heart attack signs and I can't take that chance with you.",
    ),
    ("validate_first", "caller", "Nobody's been rude, it's just, I keep starting from zero."),
    ("validate_first", "caller", "I was pretty frustrated, but somebody fixed it, it's fine now."),
    ("validate_first", "caller", "I'm so mad at that dog, he chewed the inhaler right through."),
    ("validate_first", "caller", "My car is a snowbank. I'm so annoyed, I was ready to go."),
    ("validate_first", "caller", "My sister was so frustrated with her old practice."),
    ("orient", "caller", "Mom was scared before the echo, and he sat with her and explained it."),
    ("orient", "caller", "I'm a nervous flyer, the pills are the easy part."),
    ("orient", "caller", "It's quarter close and I'm stressed out of my mind with deadlines."),
    ("orient", "caller", "I'm not, like, freaking out, I just wanted to ask about his cough."),
    ("explain_the_no", "agent", "I can't help with the turbulence, but the refill's handled."),
    ("explain_the_no", "agent", "No, we won't do that to you. I'll call when it's back."),
    ("close_the_loop", "agent", "Yep, we can transfer it. What's your name and birthday?"),
    (
        "subtext_fear",
        "caller",
        "I'm moving to Arizona, job transfer, so I need to cancel my follow-ups.",
    ),
    ("subtext_fear", "caller", "I need to move my follow-up. Anything the week after works."),
    ("real_timeline", "agent", "Want to move it to when someone can bring you?"),
    # session 9, train_db..de: fumbling a task, an ordinary drive, a dread lifted, a wait put
    # on them, a dental numbness, skipping forced by a pharmacy, immunity asked about
    ("orient", "caller", "I'm terrified I'll press the wrong key and delete the whole form."),
    ("orient", "caller", "I was more nervous about that drive than the test itself."),
    ("orient", "caller", "The parking garage was what I was dreading most, so that helps a lot."),
    ("orient", "caller", "Oh thank you, dear, I was losing sleep over that form."),
    ("orient", "caller", "I'm a bit scared they'll turn us away at the desk without the card."),
    ("own_it", "caller", "My son keeps sending me links about Medicare plans, it's a lot."),
    ("validate_first", "caller", "My dad thinks the whole app is a scam, but he'll come around."),
    ("subtext_fear", "caller", "Does he just wait another three months for the specialist, then?"),
    (
        "subtext_fear",
        "caller",
        "I was worried I'd lose the slot and have to wait another couple of months.",
    ),
    ("offer_choice", "caller", "Is this the visit where I'm numb all afternoon? I have a meeting."),
    (
        "subtext_cost",
        "caller",
        "Their system crashed, so now she has to skip days on the medication and start over.",
    ),
    ("subtext_cost", "caller", "She already had the measles as a baby, so does she need the shot?"),
    (
        "close_the_loop",
        "agent",
        "I'm connecting you to our on-call nurse right now, she'll stay on the line with you. "
        "Please hold while I transfer you.",
    ),
    (
        "explain_the_no",
        "agent",
        "Let me make sure I understand it: the referral names the wrong hip, so radiology "
        "can't book you. Is that right?",
    ),
    ("explain_the_no", "agent", "I can't approve it myself, but I'm sending it to Dr. Lowe now."),
    # session 9, train_df..dj: how long a cold lingers, an instruction read out, someone
    # else's worry, a fear settled, a car that died, a fear of cancer is not the news
    (
        "real_timeline",
        "agent",
        "That's usually what happens after a few days, but finish the whole course.",
    ),
    ("real_timeline", "agent", "A cough for a week or two after a cold is really common."),
    (
        "subtext_cost",
        "caller",
        "The letter says take it every other day, and the bottle says daily. Which one?",
    ),
    ("orient", "caller", "Oh good. My husband was the one worried about it, not me."),
    (
        "orient",
        "caller",
        "I was a little nervous going in, but if she says it's harmless, I'm good.",
    ),
    ("orient", "caller", "My arm's gone tingly, I keep shaking it out."),
    ("orient", "caller", "I keep thinking I'm going to mess something up with these forms."),
    ("orient", "caller", "Now I'm worried I locked my HSA card by trying twice."),
    ("validate_first", "caller", "Oh, it resets in January. Annoying, but fair enough."),
    ("abuse", "caller", "You're lying there in agony and they send you a bill for it."),
    ("own_it", "caller", "And nothing changes with my coverage if I move it, right?"),
    ("own_it", "caller", "It's my third go-round with the colonoscopy, so I know the prep."),
    (
        "subtext_fear",
        "caller",
        "The daycare is closed Friday, so I either bring my toddler or I move it.",
    ),
    (
        "urgent_risk",
        "caller",
        "Her lip swelled up after the eggs. She's fine now, it was a month ago.",
    ),
    # session 9, train_dk..dn: a time frame, a strict teacher, a chore's hyperbole, a
    # price, an exam, the mail, a past anger, a past cancel, logistics, grief read as anger
    (
        "subtext_exhausted",
        "caller",
        "Is it going to be over the weekend? I can't do a whole weekend of waiting.",
    ),
    ("validate_first", "caller", "My professor does not do makeups, she's insane about it."),
    (
        "validate_first",
        "caller",
        "The pottery class filled up in a minute last spring and I was furious.",
    ),
    (
        "orient",
        "caller",
        "If I have to drive out there three separate times I'm going to lose my mind.",
    ),
    (
        "orient",
        "caller",
        "It's three thousand dollars. I look at a number like that and I get nervous.",
    ),
    ("orient", "caller", "I have a chem exam Friday I'm kind of freaking out about."),
    ("orient", "caller", "And now I'm scared to open my mail, honestly."),
    (
        "subtext_fear",
        "caller",
        "They booked me with the doctor by mistake and I had to cancel it.",
    ),
    ("subtext_fear", "caller", "Do I need to come in for anything before the refill?"),
    (
        "subtext_fear",
        "caller",
        "My manager put me on a double that day, so can I move it to the next week?",
    ),
    (
        "subtext_fear",
        "caller",
        "He's doing great now, golfing every week. You don't have to do anything, "
        "I just wanted to say thank you.",
    ),
    ("own_it", "caller", "So Renee calls Monday, and I call you if nothing happens."),
    (
        "urgent_risk",
        "caller",
        "I tore something at the gym and I can't lift my arm past my shoulder.",
    ),
    (
        "urgent_risk",
        "caller",
        "I'm on zero sleep with the baby, so sorry if I'm talking weird.",
    ),
    ("urgent_risk", "caller", "Nobody told me how it goes at the end. Am I going to be choking?"),
    (
        "subtext_cost",
        "caller",
        "The statement is eleven hundred, I can't pay it in one shot. Can we split it up?",
    ),
    # session 9, train_do..dr: warning signs read back, a joke taken back, a thing to
    # do, a visit instead of another, a scare resolved, open doors, a receipt, a name
    (
        "urgent_risk",
        "caller",
        "I'm thirty weeks pregnant. So, bleeding, fluid, or the baby moving less. Got it.",
    ),
    ("urgent_risk", "caller", "In the morning it makes me want to die. Kidding. It's nausea."),
    (
        "orient",
        "caller",
        "She died on the 2nd and her medicine came. I don't know what to do with it.",
    ),
    (
        "subtext_cost",
        "caller",
        "Does he still need the one-month shots visit, or is this instead of it?",
    ),
    (
        "orient",
        "caller",
        "Last year it turned out to be a cyst, totally benign. Does that mean I need another?",
    ),
    ("orient", "caller", "She's pregnant and stressed out, and I'm stuck with this bill."),
    (
        "close_the_loop",
        "agent",
        "If you ever notice anything off, call us and our pharmacist will go over it with you.",
    ),
    ("close_the_loop", "agent", "The therapist will go over it with you at the evaluation."),
    ("close_the_loop", "agent", "Done. The receipt has been sent to your email."),
    ("own_it", "caller", "One, then nothing for a while, then two close together, then nothing."),
    # session 9, train_ds..dv: a scare over, tears of pride, a statement's wording, a
    # cheap price, idioms, circles in the kitchen, friends' advice, a red flag denied
    (
        "orient",
        "caller",
        "He fell off the swing, scared me half to death, but he's fine, he loves the cast.",
    ),
    ("orient", "caller", "She got into college and I'm a mess, I'm so proud of her."),
    ("orient", "caller", "My statement shows minus forty and I don't know what that means."),
    ("orient", "caller", "She's doing great with the walker. I'm the nervous one, honestly."),
    ("validate_first", "caller", "Twelve? Are you kidding me? That's great."),
    ("validate_first", "caller", "I've had enough surprise bills this year to last me."),
    ("validate_first", "caller", "It's more annoying than painful, honestly."),
    ("own_it", "caller", "The wheelchair sticks, so I go in circles in the kitchen."),
    ("own_it", "caller", "My friend swears I should use heat now? I don't know who to believe."),
    ("own_it", "caller", "He keeps sending me selfies from the couch, he looks like a chipmunk."),
    (
        "subtext_fear",
        "caller",
        "Work just put me on a trip to Denver that week, so I need to bump it.",
    ),
    ("urgent_risk", "caller", "It's not the, you know, worst headache ever, it's just meh."),
    (
        "explain_the_no",
        "agent",
        "It was filled on the 20th, so it's too early for another. You'll be due December 20th.",
    ),
    ("explain_the_no", "agent", "Use the other address, we don't take mail payments there."),
    ("reflect_back", "caller", "It'd be cheaper in January. Wait, no, that's backwards."),
    (
        "close_the_loop",
        "agent",
        "He's still admitted, so once he's discharged the coordinator will reach out.",
    ),
    # session 9, train_dw..dz: relief, a fax promised, a scary person, a laugh, good
    # prices, the weather, a file that won't open, a short move, done elsewhere
    (
        "orient",
        "caller",
        "Oh thank God. I was going to set an alarm for three and I was honestly dreading it.",
    ),
    ("abuse", "caller", "Hold on, I wrote it on my hand. I'll get you the fax number."),
    ("orient", "caller", "The school nurse will have my head, she's terrifying."),
    ("orient", "caller", "Full disclosure, I'm terrified of needles, always have been, ha."),
    ("validate_first", "caller", "Ten bucks. Unbelievable. Thank you so much."),
    ("validate_first", "caller", "That's insane, thank you, nobody tells you this stuff."),
    ("validate_first", "caller", "It's seventy degrees there. I'm so done with this cold."),
    ("validate_first", "caller", "She's doing water aerobics twice a week, it's almost annoying."),
    (
        "offer_choice",
        "caller",
        "The portal says results are in but I can't open the report, it just spins.",
    ),
    ("offer_choice", "caller", "It says out of network. I'm not mad, I'm just confused."),
    (
        "subtext_fear",
        "caller",
        "My partner got routed through Nebraska. Is there any way to move it a few days?",
    ),
    (
        "subtext_fear",
        "caller",
        "We need to cancel the bone scan, the hospital did one there in July.",
    ),
    (
        "reflect_back",
        "caller",
        "It's approved and everything, that's not the issue. I need an earlier slot.",
    ),
    (
        "real_timeline",
        "agent",
        "Email us a photo as soon as it shows up and I'll run it before the 12th.",
    ),
    ("close_the_loop", "agent", "Dr. Lo will call you with the result herself."),
    # session 9, train_ea..ed and routine close_the_loop cards across training: dread
    # that is over, a bill's scary number, an app, a garage, a history, a mix-up, a
    # note on it, a shift change, "that sounds stupid", the shots visit, a reminder letter
    ("orient", "caller", "I used to dread these calls. Now it's like booking an oil change."),
    ("orient", "caller", "Zero? So the big scary number is just decoration."),
    ("own_it", "caller", "Your app logged me out again. Fifth time this week."),
    ("own_it", "caller", "Last time I spent twenty minutes in that garage going in circles."),
    ("own_it", "caller", "His mom had a bad reaction to a sting once, but he never has."),
    (
        "explain_the_no",
        "agent",
        "It went to the Rite Aid on Fifth, not yours. That's why they can't see it.",
    ),
    ("close_the_loop", "agent", "I'll put a note on it. You'll get an email when it ships."),
    ("subtext_fear", "caller", "Gotta move my physical. Work flipped me to days."),
    (
        "validate_first",
        "caller",
        "I don't want to find out something bad before Christmas. That sounds stupid.",
    ),
    (
        "close_the_loop",
        "agent",
        "Give her Tylenol after if she's fussy, the nurse will go over the dose by weight.",
    ),
    ("close_the_loop", "agent", "Nothing else. You'll get a reminder letter when it's due."),
    (
        "close_the_loop",
        "agent",
        "It was approved yesterday. The approval has been sent to your pharmacy on Route 9.",
    ),
    # session 9: ordinary conflicts named, and a boundary that ends the call
    ("subtext_fear", "caller", "I got a pour scheduled that whole day, so I gotta move it."),
    ("subtext_fear", "caller", "That's the week of my organic chem final, so can I push it?"),
    (
        "subtext_fear",
        "caller",
        "I need to move an ultrasound, it's just the yearly one on the nodule, nothing new.",
    ),
    (
        "close_the_loop",
        "agent",
        "That was a threat, so I'm ending this call, and my supervisor will follow up.",
    ),
    # session 9, train_ef: reasons said plainly, a wait endured, a wry thanks, stitches
    (
        "subtext_fear",
        "caller",
        "My job just told me there's a big audit that week. Can we push it to January?",
    ),
    ("subtext_fear", "caller", "I gotta bump my physical, this week's gotten away from me."),
    ("subtext_fear", "caller", "I need to move my physical. I work mornings now, so after three."),
    (
        "subtext_fear",
        "caller",
        "I'm cancelling my follow-up. Last time I sat in your waiting room for two hours.",
    ),
    ("validate_first", "caller", "Thank you. Honestly. Third time's the charm, I guess."),
    ("validate_first", "caller", "So this is a dumb one, my car died on the freeway yesterday."),
    (
        "real_timeline",
        "agent",
        "They're absorbable, they'll dissolve on their own over the next week or two.",
    ),
    ("close_the_loop", "agent", "The MRI nurse will ring you the week before to go over it."),
    # session 9, train_eg..ej: a payment line and back, praise passed on, a notice, the
    # ride home, "too soon", a form filled out, a cheaper supply, a dad ready, the ER resisted
    (
        "close_the_loop",
        "agent",
        "I'll transfer you to the automated line, and it'll drop you right back to me.",
    ),
    ("close_the_loop", "agent", "I'll pass that along to the PT folks, they'll love it."),
    (
        "close_the_loop",
        "agent",
        "Once it's faxed, you'll get a portal message saying it's been sent.",
    ),
    ("close_the_loop", "agent", "Sent. It should be ready in a couple of hours; they'll text you."),
    ("explain_the_no", "agent", "And you need a driver, they won't release you to a cab."),
    ("real_timeline", "agent", "The plan will reject it as too soon, so I'll use the override."),
    (
        "subtext_fear",
        "caller",
        "He had his checkup in August, so do we need to come in or can you just fill it out?",
    ),
    (
        "subtext_cost",
        "caller",
        "It's cheaper if I do ninety days through mail order. Can you send it that way?",
    ),
    ("abuse", "caller", "He'll be dressed by six, waiting at the door, ha."),
    ("validate_first", "caller", "Oh come on, 911? For a pulled muscle?"),
    # session 9, train_ek..en: feelings about ordinary things, a symptom's course,
    # a course of a medicine, a notification
    (
        "orient",
        "caller",
        "I'm a bit worried, I think I gave the pharmacy my old insurance card yesterday.",
    ),
    ("orient", "caller", "I'm kind of nervous because I can't get off work to translate for him."),
    ("orient", "caller", "I was worried I'd just be sitting there staring at a black screen."),
    ("subtext_exhausted", "caller", "Mail order usually takes forever, so can you send it now?"),
    ("offer_choice", "caller", "I'm completely swamped with boxes and the movers this week."),
    (
        "validate_first",
        "caller",
        "I'm honestly so frustrated, my manager just switched my whole schedule.",
    ),
    ("close_the_loop", "agent", "Message sent, you'll get a notification when she answers."),
    ("real_timeline", "agent", "Some people feel achy for a day or so after the shot."),
    ("real_timeline", "agent", "A few days of ibuprofen at a low dose is usually alright."),
    # session 10, train_eo..er
    ("validate_first", "caller", "Good numbers? My husband's going to be insufferable now."),
    ("close_the_loop", "agent", "Reminder set, you'll get a letter two weeks before it's due."),
    ("subtext_fear", "caller", "My daughter just threw up everywhere, so can we move her checkup?"),
    ("subtext_fear", "caller", "I need to move my follow-up, my granddaughter's got a recital."),
    ("close_the_loop", "agent", "I'll put a note on his check-in so the front desk has it."),
    ("orient", "caller", "I was dreading calling, your phone tree always gets me transferred."),
    ("real_timeline", "agent", "Come at lunch, the line is usually quick then."),
    ("explain_the_no", "agent", "Maybe Thursday, but I can't promise."),
    ("close_the_loop", "agent", "I'll let her know you returned the call so she doesn't try you."),
    # session 10, train_es..ev
    ("abuse", "caller", "The video interpreter froze, can we get a real person in the room?"),
    ("reflect_back", "caller", "He won't admit it, but he's like, 'I'm not doing that again.'"),
    ("own_it", "caller", "The report just has this one line, 'stable,' and then nothing."),
    ("own_it", "caller", "Can we get one pen, and it goes back and forth in her bag?"),
    ("subtext_fear", "caller", "I was supposed to have the scan in December, and you moved it."),
    ("subtext_fear", "caller", "I have to move the checkup, my husband's working and I've no car."),
    ("validate_first", "caller", "My mum's going to be so offended that we stopped the gel."),
    ("validate_first", "caller", "She cried, very loudly, very offended, then ate a biscuit."),
    ("validate_first", "caller", "Please do. She's been bugging me about it every day."),
    ("orient", "caller", "I'm not calling because I'm panicking or anything, just the dose."),
    (
        "close_the_loop",
        "agent",
        "If that happens again I'll end the call and my manager will call you.",
    ),
    ("subtext_exhausted", "caller", "Oh great. Honestly I figured it'd take forever."),
    # session 10, train_ew..ez
    ("urgent_risk", "caller", "I've done this twice, I just want to check the split prep timing."),
    ("urgent_risk", "caller", "Nope, I just ate a lot of spinach at my son's this week."),
    ("subtext_fear", "caller", "Can I move the echo? My brother's getting married that weekend."),
    ("explain_the_no", "agent", "Travel shots usually aren't covered, so we go over prices first."),
    ("close_the_loop", "agent", "Sure. Are you sending it to the new dermatologist yourself?"),
    ("close_the_loop", "agent", "You'll get a letter from the plan saying approved, keep it."),
    # session 10, train_fa..fd
    ("orient", "caller", "Oh, that was easy. I've been stressing about it all week for nothing."),
    ("orient", "caller", "Not because I'm nervous, I just want to get through Christmas first."),
    ("offer_choice", "caller", "I don't know what they pay you, but it's too much."),
    ("close_the_loop", "agent", "I'm transferring you to Luis at PT scheduling, he has it open."),
    ("real_timeline", "agent", "Most people are back to desk work in a week or so."),
    ("validate_first", "caller", "Tomorrow, please. The drain drives me nuts at night."),
    ("urgent_risk", "caller", "I just don't want to wake up with the wrong knee done."),
    (
        "explain_the_no",
        "agent",
        "I can't discuss results, but it's been reviewed and she'll call today.",
    ),
    ("subtext_fear", "caller", "Can I push the postpartum check to later in the week?"),
    # session 10, train_fe..fg
    ("close_the_loop", "agent", "I'll stay on while I connect you to Nurse Ada and brief her."),
    (
        "close_the_loop",
        "agent",
        "I'm transferring you to their desk. If the call drops, their number is 555-0148.",
    ),
    (
        "subtext_fear",
        "caller",
        "Can I move my follow-up? I've got a thing at my granddaughter's school.",
    ),
    (
        "subtext_fear",
        "caller",
        "My company is sending me to Denver that week, so I need to move the scan.",
    ),
    ("validate_first", "caller", "Mornings are best, I hate being hungry all day."),
    ("subtext_cost", "caller", "She's four now, does she still need the two-dose flu shot?"),
    # session 10, train_fh..fj
    (
        "subtext_fear",
        "caller",
        "Refill on the allopurinol. I've learned my lesson about skipping it.",
    ),
    ("own_it", "caller", "Take your time, I've got nowhere to be."),
    ("close_the_loop", "agent", "Let me check with the vendor schedule. Name?"),
    (
        "close_the_loop",
        "agent",
        "A known quirk. I'll pass it along to our web team. You're all set.",
    ),
    (
        "close_the_loop",
        "agent",
        "You're booked the 6th. I'll also put you on the cancellation list.",
    ),
    ("validate_first", "caller", "Fine. I'm annoyed but fine."),
    (
        "explain_the_no",
        "agent",
        "Dr. Amari doesn't do injections without talking it through first.",
    ),
    (
        "orient",
        "caller",
        "I'm kind of panicking, we don't have eleven hundred dollars lying around.",
    ),
    # an ordinary visit moved, no test named and no far-off time
    ("subtext_fear", "caller", "Yeah, I need to move my appointment on Thursday."),
    (
        "subtext_fear",
        "caller",
        "I'm calling to move my follow-up, I don't think I'll be up for it.",
    ),
    # session 11, train_fk..fn: the wish not to wake said of sedation, a third person's
    # wish about where to live, an alarm slept through
    ("urgent_risk", "caller", "I just hope I don't wake up during the surgery, honestly."),
    ("urgent_risk", "caller", "My mom doesn't want to live with us, she likes her own place."),
    ("urgent_risk", "caller", "What if I take the sleeping pill and didn't wake up for my shift?"),
    # a clinician's word at a visit, on a first call: a follow-up, not a broken promise
    (
        "own_it",
        "caller",
        "Dr. Ortiz said she'd send a referral to the skin clinic, and I haven't heard a thing.",
    ),
    ("own_it", "caller", "The tech said I'd hear from my doctor in a week. It's been nine days."),
    # (session 10 had this one raise, from train_ew's label; the visit's word alone is
    # now a follow-up: 16 wrong cards to 2 right in training, 10 to 1 held-out)
    ("own_it", "caller", "He said, you'll get a call with a date. I have not gotten one."),
    ("urgent_risk", "caller", "I've been saving my pills in case I run out on the trip."),
    ("urgent_risk", "caller", "My dad had a stroke in 2019 and he was in the hospital all day."),
    # session 11, train_fo..fr: good news passed on, fear as motivation, a planned pause
    ("close_the_loop", "agent", "That's so good to hear! I'll let her know you said thanks."),
    ("orient", "caller", "Honestly it scared me into quitting smoking."),
    ("subtext_fear", "caller", "The doctor wants me to stop the chemo for a week before surgery."),
    (
        "urgent_risk",
        "caller",
        "I don't see much reason to keep going with the app, it never works.",
    ),
    # session 11, train_fs..fv: tests done twice, one's own fear of the anaesthesia, a
    # dose held before a test, a conclusion, the agent ending an abusive call
    ("urgent_risk", "caller", "She did the blood draw twice because they lost the first tube."),
    (
        "urgent_risk",
        "caller",
        "Honestly I'm scared I'll wake up during it, or not wake up at all.",
    ),
    ("subtext_fear", "caller", "My echo is Friday. I take metoprolol, do I skip it that morning?"),
    ("own_it", "caller", "Oh good, I take it at night anyway. So nothing changes."),
    (
        "close_the_loop",
        "agent",
        "im going to end this call now and a supervisor will follow up with you",
    ),
    # session 11, train_fw..fy: a bill paid in two parts
    ("subtext_cost", "caller", "It's sixty dollars. Can I pay half now and the rest on the 1st?"),
    # money put by is no hoard of pills (the review of this session's own widening)
    ("urgent_risk", "caller", "I've got enough saved for the copay, thankfully."),
    ("urgent_risk", "caller", "I have enough set aside to pay half the bill."),
    # a collector's threat is about money, not fear about care
    ("orient", "caller", "Now the collection agency is threatening to hit my credit."),
    # a past night told with its year: "all night" is a duration, not now
    ("urgent_risk", "caller", "My daughter had chest pain all night back in 2020, it was reflux."),
    # a family consulted is not a caller bounced between offices
    (
        "own_it",
        "caller",
        "I've talked to my wife, to my kids, to my pastor, and we want to go ahead.",
    ),
    # a course finished is not care refused
    ("subtext_fear", "caller", "Good news, I'm coming off the chemo next month, he says I'm done!"),
    # what people say of a procedure is no symptom
    ("urgent_risk", "caller", "People online say the biopsy is the worst pain they've ever had."),
    # a faint at the dentist, told as the reason for dread
    ("urgent_risk", "caller", "I can't do it awake, I passed out getting a filling."),
    # a knock already checked, its warning signs said absent
    (
        "urgent_risk",
        "caller",
        "He bumped his head on Saturday, the urgent care said he's fine. No throwing up at all.",
    ),
    # a dose question before a test
    ("subtext_fear", "caller", "I take 50 milligrams of atenolol every morning, should I skip it?"),
    ("subtext_fear", "caller", "I take metoprolol, 25 milligrams, first thing. Do I skip it?"),
    # the office cancelled, the caller did not ask to
    (
        "subtext_fear",
        "caller",
        "My surgery tomorrow is cancelled and you lot cancel it by voicemail.",
    ),
    # a reply sent back is no runaround
    ("own_it", "caller", "I replied C like the text said, and it sent me back something odd."),
    # someone else's standing worry, and a scare told as over
    ("orient", "caller", "My mom's always nervous about strep, but it was negative, so."),
    ("orient", "caller", "It was scary for about an hour, but the ER said no concussion."),
    (
        "orient",
        "caller",
        "He had RSV last winter, that was the real scary one, so this is nothing.",
    ),
    # a pregnancy ended is told, not care put off
    ("subtext_fear", "caller", "There was no heartbeat at the scan, so I need to cancel the rest."),
    # one's own commute; a call one hopes not to make
    ("own_it", "caller", "I'm back and forth from work every night to see her."),
    ("own_it", "caller", "I don't want to have to call again and explain it again."),
    # strong words about the weather, a coach, an airline: not the call's matter
    ("validate_first", "caller", "This heat is brutal. I'm furious at whoever invented July."),
    ("validate_first", "caller", "His soccer coach is a disaster, I am so mad at that man."),
    ("validate_first", "caller", "The airline cancelled my connection and I'm so done with them."),
    ("orient", "caller", "Between the movers and the new school I'm losing my mind a little."),
    # a faint at needles; the caller's own snoring
    ("urgent_risk", "caller", "I hate needles and I nearly passed out last time."),
    ("urgent_risk", "caller", "My wife says my snoring is rattling the windows, ha."),
    # a live handoff with its fallback, and a price is not a time
    (
        "close_the_loop",
        "agent",
        "Priya's got your account open now, she'll take it from here. If anything gets cut off, "
        "her direct line is extension 418.",
    ),
    ("close_the_loop", "agent", "The pharmacy will give you a call around ten tomorrow morning."),
    # a pet minded for a trip, a price, a pregnancy's weeks, affairs long in order
    (
        "urgent_risk",
        "caller",
        "I took my dog over to my sister's for the week, so I won't be needing the Tuesday slot.",
    ),
    ("urgent_risk", "caller", "My meter costs forty dollars and the strips are fifty bucks a box."),
    (
        "urgent_risk",
        "caller",
        "The sugar drink test is at twenty-eight weeks, I think I'm twenty-seven now?",
    ),
    ("urgent_risk", "caller", "Mom got her affairs in order years ago. Can we book her physical?"),
    # the doctor's own halving is no stretching
    ("subtext_cost", "caller", "I'm supposed to be on the 25, Dr. Chen cut it in half in April."),
    # the office needing a document is no question about the care
    ("subtext_cost", "caller", "I switched to a new Medicare plan in March. Do you need the card?"),
    # a form to sign is no care skipped
    (
        "subtext_fear",
        "caller",
        "Camp wants their own health form signed. Do I have to come back in for that?",
    ),
    # a reaction long past, told as the reason to worry
    (
        "urgent_risk",
        "caller",
        "His last reaction, his lips swelled up and we spent the night in the ER.",
    ),
    # a fever number said of minutes late
    ("urgent_risk", "caller", "He's on chemo and we're running about 100 minutes behind."),
    # a finished course of antibiotics is no overdose
    (
        "urgent_risk",
        "caller",
        "Can I just take the whole bottle of antibiotics and be done with it?",
    ),
    # a refill request routed to the prescriber is the routine path, not a case handed off
    (
        "close_the_loop",
        "agent",
        "Metformin, five hundred twice a day. No refills left, so I'll send it to Dr. Ruiz.",
    ),
    # a drug's effect expected, not a promise of when: no vague time
    ("real_timeline", "agent", "Give it time, you may feel a difference in a few weeks."),
    # a slot asked about is no hedged promise
    ("real_timeline", "agent", "I can have her call. Is sometime next week better for you?"),
    # the payer's no caused by the office, owned
    (
        "explain_the_no",
        "agent",
        "The plan denied it because we sent the wrong code. That one's on us, not you.",
    ),
    # the agent's word said back, not a wish to skip
    ("subtext_fear", "caller", "Skip it? No way. When can I get in for the scan?"),
    # cancelling for someone who died is grief, not fear of the visit
    (
        "subtext_fear",
        "caller",
        "I need to cancel my husband's scan on the 9th. He passed on Friday.",
    ),
    # a lazy eye since childhood is no sudden vision loss
    ("urgent_risk", "caller", "There's a shadow over my left eye, it's been that way since birth."),
    # an accident's cut is no self-harm
    (
        "urgent_risk",
        "caller",
        "My son has a deep cut on his leg from the fence, it stopped bleeding.",
    ),
    # an expected death at home under hospice is not the emergency protocol
    ("urgent_risk", "caller", "She's on hospice. I think she's gone, she's not breathing."),
    # help that spared the caller the runaround is no runaround
    ("own_it", "caller", "Perfect, that saved me the back and forth with my employer."),
    # indifference about taste is no anger
    ("validate_first", "caller", "The lemon one is fine, I don't care what it tastes like."),
    # a driver announcing the pickup is no handoff
    (
        "close_the_loop",
        "agent",
        "You're booked for 9. Driver's Dana, she'll call when she's outside.",
    ),
    # a contingency with a number to call is no handoff left open
    (
        "close_the_loop",
        "agent",
        "If the pharmacy gives you any trouble, have them call our help desk with reference 4471.",
    ),
    # a letter request routed to the clinician who writes them, nothing promised
    (
        "close_the_loop",
        "agent",
        "Dr. Feld writes those letters. I'll send the request to Dr. Feld.",
    ),
    # one party named, then a verdict: no runaround
    ("own_it", "caller", "She said that's the surgeon's job. The surgeon said it's fine to wait."),
    ("subtext_exhausted", "caller", "How many more rides do I get this year on the plan?"),
    ("abuse", "caller", "Fine. I'll be waiting by the phone, then."),
    ("urgent_risk", "caller", "The new boot is too tight, it's cutting into my leg at the top."),
    (
        "explain_the_no",
        "agent",
        "I'm glad to sort the bill out, but I can't do that if you threaten me.",
    ),
    (
        "orient",
        "caller",
        "There's a stack of letters here and I'm afraid to throw any of them away.",
    ),
    ("own_it", "caller", "Clear liquids from 4 to 5 in the morning, then nothing. Got it."),
    ("orient", "caller", "I was dreading the first night home, but it's fine, honestly."),
    ("orient", "caller", "My dad had the same operation, he was terrified and did great."),
    # the patient sent to call someone is no handoff of the case (writers: 15 of 23 cards wrong)
    ("close_the_loop", "agent", "You'd need to contact your insurance about that part."),
    ("close_the_loop", "agent", "You could call your insurance about it."),
    ("explain_the_no", "agent", "I'm not able to keep going if there are threats, sir."),
    # a shrug is not anger to validate (training: 0 of 2 right)
    ("validate_first", "caller", "Oh, I don't care who calls, as long as somebody does."),
    # an image that will not go away is grief or dread said in passing, not a question
    ("orient", "caller", "I keep picturing him in that hospital bed, that's all."),
    ("orient", "caller", "I smoked for forty years, I know what they're looking for."),
    # one referral is no runaround (training: 7 wrong, none right)
    ("own_it", "caller", "The pharmacy said to call you to get the prior authorization going."),
    ("own_it", "caller", "Okay, are they going to pick up, or is this another runaround?"),
    # a loss's first days: "I don't know what to do with her pills", "I can't look at them"
    # are grief (the call is heavy), not fear or overload (training: 15 wrong, none right)
    ("orient", "caller", "She passed on Sunday and I don't know what to do with all her pills."),
    ("offer_choice", "caller", "His bottles are still in the cabinet. I can't look at them."),
    ("own_it", "caller", "My MRI got moved again. I want it back on Thursday."),
    # not hearing about a first booking is no runaround (training: 1 right, 3 wrong first)
    (
        "own_it",
        "caller",
        "Dr. Ferreira ordered a sleep study and I never heard anything about when.",
    ),
    # removed patterns whose raisings in the training sets were all wrong
    ("subtext_exhausted", "caller", "How long until I can drive after the procedure?"),
    ("subtext_exhausted", "caller", "Do I keep taking the antibiotic until it's finished?"),
    ("subtext_exhausted", "caller", "Each visit they give you another form to sign, right?"),
    ("explain_the_no", "agent", "That strength is on backorder, it should be in by Thursday."),
    ("validate_first", "caller", "I'm not mad at you, I'm just confused by the bill."),
    ("validate_first", "caller", "We did everything right with the forms, so it should be fine."),
    ("own_it", "caller", "The package says shipped but it still isn't here."),
    ("own_it", "caller", "Somebody dropped the ball on my lab order, but it's sorted now."),
    # an allowance counted, a term that ends by the calendar: bookkeeping
    ("subtext_exhausted", "caller", "How many sessions do I have left on the referral?"),
    ("subtext_exhausted", "caller", "When does the warranty end on these hearing aids?"),
    # a reaction last week, over now
    (
        "urgent_risk",
        "caller",
        "Last Sunday she ate shrimp and her face swelled up, but she's fine now.",
    ),
    # a call ahead of a delivery is no handoff
    ("close_the_loop", "agent", "I'll tell the driver. He'll call before he comes."),
    # a time tied to an event ("once it's processed") is not a vague time word
    ("real_timeline", "agent", "They'll reach out once it's been reviewed."),
    # grief's "I don't know what I'm doing now" and a plain "I'm so confused" are not a
    # load too heavy to carry; reading up is not fear
    ("offer_choice", "caller", "He was in that bed for months. I don't know what I'm doing now."),
    ("offer_choice", "caller", "Sorry, I'm so confused, is the copay for the visit or the lab?"),
    ("orient", "caller", "I keep reading about the new shingles vaccine, is it covered?"),
    # a feed is no overdose
    ("urgent_risk", "caller", "Her fever's down. She took like half a bottle of milk just now."),
    ("urgent_risk", "caller", "I'm 36 weeks, I get tightenings every twenty minutes. Normal?"),
    # someone else's fear, told: the caller's own is the card
    ("orient", "caller", "He gets scared before each one, then he's grumpy for a week."),
    ("orient", "caller", "She was scared, she thought maybe they forgot her."),
    # a busy stretch is not an outrage
    ("validate_first", "caller", "Work's been insane this week, can I move the MRI to Monday?"),
    # news passed on as the call closes is no handoff of the case
    ("close_the_loop", "agent", "I'll let her know. She'll want to hear that. Take care."),
    ("close_the_loop", "agent", "Thank you for telling us. I'll let him know. Anything else?"),
]

STILL_RAISES: list[tuple[str, str, str]] = [
    # regional words for anger (train_ii)
    ("validate_first", "caller", "Third time they've lost it, and I'm so hot about it."),
    ("validate_first", "caller", "I'm ticked off, they never even told me."),
    # second-language English for stretching a supply (train_ih)
    ("subtext_cost", "caller", "Ten units in the night, so the pen is lasting more time, yes?"),
    ("orient", "caller", "Just thinking about the biopsy on Friday is freaking me out."),
    # the worry that reads ahead (train_ia)
    ("orient", "caller", "They biopsied it Monday and I've been reading stuff I shouldn't."),
    ("close_the_loop", "agent", "I'll have someone call you about it."),
    ("close_the_loop", "agent", "The specialist's office will reach out to you to set it up."),
    ("close_the_loop", "agent", "I'll message the nurse and she'll get back to you."),
    ("orient", "caller", "I'm shaking, what does it mean that the scan found a mass?"),
    ("orient", "caller", "I'm beside myself, nobody will tell me what the biopsy showed."),
    ("subtext_cost", "caller", "Could I just take the pills every other day to make them last?"),
    ("subtext_fear", "caller", "Can we push the biopsy? Maybe sometime in the spring."),
    ("validate_first", "caller", "This is ridiculous, I was charged twice and nobody fixes it."),
    ("urgent_risk", "caller", "My husband just fainted and he's not answering me."),
    ("close_the_loop", "agent", "I'll email the team and they'll get back to you."),
    ("close_the_loop", "agent", "It went out Monday, so I checked. Someone will call you."),
    ("close_the_loop", "agent", "Someone from the team will call you back tomorrow."),
    ("close_the_loop", "agent", "I'll have her call you."),
    ("close_the_loop", "agent", "I'll put a note in for the nurse to call you."),
    ("subtext_cost", "caller", "The inhaler is so expensive, can I split it up and use half?"),
    ("validate_first", "caller", "I'm sick of this, three bills for one visit and no answers."),
    ("own_it", "caller", "Pharmacy keeps sending me back to you and you send me back to them."),
    ("reflect_back", "caller", "No, that's not what I called about. I asked about the bill."),
    ("explain_the_no", "agent", "I can't read results over the phone, it's policy."),
    ("explain_the_no", "agent", "Your plan denied days three to five of the stay."),
    ("explain_the_no", "agent", "The denial says they want six weeks of therapy first."),
    ("explain_the_no", "agent", "They bill separately, so I can't write off their charge."),
    ("validate_first", "caller", "So I got clean, yay me, and my reward is a giant bill."),
    ("validate_first", "caller", "They denied my TMS again. Love that for me."),
    ("abuse", "caller", "I know what time you people leave. Maybe I wait by the cars and we talk."),
    ("abuse", "caller", "You people are useless. You're a glorified answering machine."),
    ("abuse", "caller", "You pathetic paper-pusher, see what happens when I come down there."),
    ("own_it", "caller", "Billing keeps telling me to call you, and you tell me to call them."),
    ("subtext_fear", "caller", "I have the colonoscopy next week, can we push it to the spring?"),
    ("own_it", "caller", "This is the fifteenth call I've made about this bill."),
    ("own_it", "caller", "I call and call and nothing ever changes."),
    ("subtext_fear", "caller", "I feel fine now, do I really have to come in for the scan?"),
    ("own_it", "caller", "Fun fact, this is call number four today about my holter results."),
    ("own_it", "caller", "Sorry, I called Tuesday too. Nobody has said anything about the CT."),
    ("own_it", "caller", "I called in October and told someone, and the statements still come."),
    ("own_it", "caller", "Everyone tells me to call someone else, and nobody has the referral."),
    ("abuse", "caller", "Great, the one who sounds like a cartoon. Can you even write that down?"),
    ("orient", "caller", "I'm so nervous about the biopsy that I told my boss I was sick."),
    ("own_it", "caller", "This is the third time I've called about the MRI you moved."),
    ("own_it", "caller", "I've called four times and nothing changes."),
    ("subtext_fear", "caller", "I want to cancel the colonoscopy. I just can't face it."),
    ("validate_first", "caller", "They lost my referral again. Ten out of ten, great system."),
    ("validate_first", "caller", "Oh that's just marvelous, a second bill for the same visit."),
    ("validate_first", "caller", "I'm steamed. The office was closed and you charged me."),
    ("subtext_exhausted", "caller", "The echo, now a form. Is there anything else after this?"),
    ("explain_the_no", "agent", "Your prior authorization came back denied this morning."),
    ("orient", "caller", "I'm nervous, and nobody told me what the biopsy involves."),
    ("urgent_risk", "caller", "My dad suddenly can't lift his arm and his face is drooping."),
    ("urgent_risk", "caller", "She's short of breath just sitting in her chair."),
    ("subtext_fear", "caller", "I want to cancel my biopsy. I'm not ready."),
    ("close_the_loop", "agent", "Her nurse will call you about it."),
    ("own_it", "caller", "I called in May about this, they said they'd fix it. Nobody did."),
    ("own_it", "caller", "I messaged the portal Monday and again Friday, and nothing."),
    ("own_it", "caller", "I called ten minutes ago and it went dead, so I'm starting over."),
    ("own_it", "caller", "I'm calling, again, about the wheelchair authorization."),
    ("own_it", "caller", "This is my third go-round with this bill."),
    ("explain_the_no", "agent", "The insurance came back and the lab study isn't approved."),
    ("explain_the_no", "agent", "The appeal was upheld, so it's still denied."),
    ("close_the_loop", "agent", "The vendor will contact you to set up delivery."),
    ("validate_first", "caller", "I'm about two seconds from losing it. A collections letter?"),
    ("validate_first", "caller", "Some desk person says no. It's an absolute joke."),
    ("subtext_cost", "caller", "Twice a day on the antibiotic, would it work? Make it go longer?"),
    ("subtext_fear", "caller", "Can we move the biopsy to next month? I'm not ready."),
    ("validate_first", "caller", "I've had enough of this runaround."),
    ("close_the_loop", "agent", "I'll message Dr. Rivera and she'll call you."),
    ("urgent_risk", "caller", "Why refill it, if I'm not planning on sticking around?"),
    ("subtext_cost", "caller", "It's $300 now. If I do, like, twenty units instead of thirty?"),
    ("explain_the_no", "agent", "I can't refund it from here, the garage is a contractor's."),
    ("explain_the_no", "agent", "We can't recall it once it's placed with collections."),
    ("own_it", "caller", "They said I'd hear back by Friday and nobody called."),
    ("own_it", "caller", "Third day in a row I'm calling about this refill."),
    ("urgent_risk", "caller", "My prenatal intake is Friday, but I've been bleeding all morning."),
    ("urgent_risk", "caller", "He took the whole bottle an hour ago, it's an overdose."),
    ("validate_first", "caller", "They denied it again. Love that."),
    ("explain_the_no", "agent", "Your plan requires step therapy, so they won't approve it yet."),
    ("explain_the_no", "agent", "Under the program's rules we can't restore them before then."),
    ("explain_the_no", "agent", "They're in self-pay status, so we can't rebill them to Medicaid."),
    ("explain_the_no", "agent", "We can't keep prescribing it without an in-person visit."),
    ("urgent_risk", "caller", "My husband stopped breathing, he's turning blue."),
    ("urgent_risk", "caller", "I don't see why I'm still here. Everyone would be relieved."),
    ("urgent_risk", "caller", "Not sure if this is anything, her pillbox, whole week is empty."),
    ("real_timeline", "agent", "It should be ready later this week, probably."),
    ("urgent_risk", "caller", "My son says he's suicidal."),
    ("urgent_risk", "caller", "He was unconscious when I found him and he's still not waking up."),
    ("orient", "caller", "I worry about the biopsy every single night."),
    ("urgent_risk", "caller", "This headache came on all at once, the worst one I've ever had."),
    ("explain_the_no", "agent", "So the letter is because Medicare denied the chair."),
    ("explain_the_no", "agent", "Filled on the 2nd, so the after-hours line can't refill it."),
    ("explain_the_no", "agent", "Yeah, it says denied. There's not really anything we can do."),
    ("explain_the_no", "agent", "It's pending, so the infusion suite can't start until it's back."),
    ("urgent_risk", "caller", "So tired of fighting. I don't think I'll be around much longer."),
    ("urgent_risk", "caller", "He passed out an hour ago and now he won't wake up."),
    ("abuse", "caller", "Are you the receptionist playing doctor? You sound about fifteen."),
    ("abuse", "caller", "Put a real nurse on, honey."),
    ("validate_first", "caller", "Two pills left, and nobody seems to care."),
    ("orient", "caller", "Is it bad? Does that mean it's cancer?"),
    ("close_the_loop", "agent", "I'll have one of the schedulers give you a call about it."),
    ("close_the_loop", "agent", "I've sent them over to Dr. Yu's medical assistant."),
    ("close_the_loop", "agent", "I've opened a dispute for you, it's ticket 88-2031."),
    ("urgent_risk", "caller", "I can't breathe, my chest is tight."),
    ("orient", "caller", "This is so scary, is it cancer?"),
    ("orient", "caller", "I'm anxious to hear if it's cancer."),
    ("offer_choice", "caller", "Between the move and the new job it's all too much."),
    ("own_it", "caller", "They said the nurse would call me back Monday. It's Thursday."),
    ("own_it", "caller", "I've been transferred to pharmacy benefits twice and it hung up on me."),
    (
        "subtext_fear",
        "caller",
        "Can I move the mammogram to the spring? I'd rather not think.",
    ),
    ("reflect_back", "caller", "No, that's not what I asked. I need the MRI images."),
    ("urgent_risk", "caller", "I can't really catch my breath right now."),
    ("validate_first", "caller", "I am sick to death of this, fourth call about one claim."),
    ("validate_first", "caller", "Nobody called me about the result, that's cruel."),
    (
        "close_the_loop",
        "agent",
        "The referral is dated the 4th. I'll send it to our auth team and they'll reach out.",
    ),
    ("orient", "caller", "I'm so nervous about the biopsy, what if it's cancer?"),
    ("subtext_fear", "caller", "Could we, maybe, hold off on the surgery? He's only six."),
    ("subtext_fear", "caller", "I really don't need to drive in for the biopsy results, right?"),
    ("real_timeline", "agent", "It just depends on their caseload."),
    ("real_timeline", "agent", "They'll do their best."),
    ("close_the_loop", "agent", "I'll pop you over to records real quick, hang on."),
    ("close_the_loop", "agent", "I've created a dispute ticket for you. You're all set."),
    ("own_it", "caller", "I called your records line yesterday and the mailbox was full."),
    ("explain_the_no", "agent", "It's too early, the system won't let me fill it."),
    ("abuse", "caller", "Shut up, you useless idiot."),
    ("validate_first", "caller", "Four hundred dollars? That's insane, nobody told me."),
    ("orient", "caller", "I'm scared of needles and I have a biopsy Monday."),
    ("urgent_risk", "caller", "I passed out twenty minutes ago and my chest hurts."),
    ("explain_the_no", "agent", "Your plan doesn't cover the stockings."),
    ("urgent_risk", "caller", "A headache like nothing I've ever had, and my left hand's clumsy."),
    (
        "urgent_risk",
        "caller",
        "My inhaler is barely doing anything and I can only say a few words.",
    ),
    ("own_it", "caller", "I've been hung up on three times today."),
    ("own_it", "caller", "She sent me to pharmacy, and pharmacy said it's not them."),
    ("close_the_loop", "agent", "Our driver will contact you to set up the pickup."),
    ("close_the_loop", "agent", "Our pharmacy team will take care of it."),
    ("real_timeline", "agent", "They usually get to them fairly quickly."),
    ("validate_first", "caller", "Who decided it was a good idea to put my result in an app?"),
    ("orient", "caller", "Oh my God. What do I do?"),
    (
        "subtext_cost",
        "caller",
        "I guess I'll have to make the pills last, I could cut them in half.",
    ),
    ("own_it", "caller", "This is the second time this month I've called about it."),
    ("subtext_cost", "caller", "It's so expensive. Should I stop it?"),
    ("subtext_exhausted", "caller", "How many more of these treatments are there?"),
    ("orient", "caller", "I've been dreading the biopsy all week."),
    ("urgent_risk", "caller", "She collapsed at the store and she's not answering me."),
    ("urgent_risk", "caller", "Some days I think it'd be easier if I didn't wake up."),
    (
        "explain_the_no",
        "agent",
        "unfortunately we cant schedule any more visits unless theyre covered",
    ),
    ("validate_first", "caller", "I'm so frustrated, nobody ever calls me back."),
    ("orient", "caller", "I'm stressed out of my mind about the biopsy."),
    # session 9, train_db..de
    ("orient", "caller", "I'm scared to death about what the scan will show."),
    ("explain_the_no", "agent", "um your plan says hearing aids arent covered"),
    (
        "explain_the_no",
        "agent",
        "Your insurance says they're not going to cover the rental after this month.",
    ),
    ("subtext_fear", "caller", "Could we just wait another few months on the colonoscopy?"),
    ("subtext_cost", "caller", "I've been skipping days on the pills so they last till payday."),
    ("validate_first", "caller", "This whole billing system is a scam."),
    ("close_the_loop", "agent", "I'll transfer you to billing and they'll get back to you."),
    ("offer_choice", "caller", "I'm numb. I don't even know what to do first."),
    # session 9, train_df..dj
    ("real_timeline", "agent", "The results should be back in a week or two."),
    ("orient", "caller", "I keep shaking, I'm so scared about what they found."),
    ("orient", "caller", "My husband's worried, and honestly I'm terrified too."),
    ("abuse", "caller", "You're lying to me, you useless people."),
    ("urgent_risk", "caller", "Her lip is swelling up right now after she ate eggs."),
    # session 9, train_dk..dn
    ("subtext_exhausted", "caller", "Is this ever going to be over? Every week a new form."),
    ("validate_first", "caller", "I'm furious, nobody called me back about the scan."),
    ("orient", "caller", "I'm going to lose my mind waiting for this biopsy result."),
    ("subtext_fear", "caller", "Honestly, do I even have to come in for the biopsy?"),
    ("urgent_risk", "caller", "He's choking and turning blue right now."),
    ("urgent_risk", "caller", "My dad is talking weird and his face looks droopy."),
    # session 9, train_do..dr
    ("urgent_risk", "caller", "I'm thirty weeks pregnant and I'm bleeding a lot right now."),
    ("urgent_risk", "caller", "Honestly some days I want to die. I'm not kidding."),
    ("orient", "caller", "Oh my God, what do I do? I don't know what to do."),
    ("close_the_loop", "agent", "The referral has been sent, someone will call you."),
    ("own_it", "caller", "I left a message Monday, then nothing."),
    # session 9, train_ds..dv
    ("validate_first", "caller", "Four hundred dollars? Are you kidding me?"),
    ("own_it", "caller", "They keep sending me back and forth between billing and you."),
    ("reflect_back", "caller", "That's backwards, I said the left knee."),
    ("urgent_risk", "caller", "It's the worst headache of my life and it came on suddenly."),
    ("orient", "caller", "I'm a mess, I'm so scared about the biopsy."),
    # session 9, train_dw..dz
    ("abuse", "caller", "I'll get you, you just wait."),
    ("close_the_loop", "agent", "The supply company should be reaching out about the oxygen."),
    ("close_the_loop", "agent", "Doctor Walsh will review it and call you soon."),
    ("close_the_loop", "agent", "What I'd recommend is you call neurology again yourself."),
    ("real_timeline", "agent", "It varies, it could be a bit. I'd just wait for their call."),
    ("explain_the_no", "agent", "I'm sorry, but we can't put you on the surgery schedule yet."),
    ("subtext_fear", "caller", "I want to cancel the biopsy. I just can't do it."),
    # session 9, train_ea..ed
    ("close_the_loop", "agent", "The nurse will go over it all with you."),
    ("own_it", "caller", "Fifth time this week I've called about this bill."),
    ("orient", "caller", "I dread this scan, honestly, I can't sleep."),
    ("subtext_fear", "caller", "Can we move the biopsy to after the holidays?"),
    ("close_the_loop", "agent", "The surgery scheduler will reach out to you about a date."),
    ("real_timeline", "agent", "We'll have it ready soon."),
    ("abuse", "caller", "I'll be waiting by your car after your shift."),
    # session 10, train_eo..er
    ("abuse", "caller", "You're a crook, a little crook behind a desk."),
    ("abuse", "caller", "Do you guys even have a brain over there?"),
    ("abuse", "caller", "You sound like you never finished high school."),
    ("abuse", "caller", "Keep it up and I'll make sure you regret it."),
    ("own_it", "caller", "I told them to reschedule it, not cancel it, and they cancelled it."),
    ("own_it", "caller", "You people cancelled it instead of moving it."),
    ("close_the_loop", "agent", "We'll have someone look into it and call you back."),
    ("urgent_risk", "caller", "She's wheezing every time she breathes and her lips look bluish."),
    ("explain_the_no", "agent", "I can't promise that."),
    ("orient", "caller", "I've been dreading this call, I know the biopsy is bad."),
    ("real_timeline", "agent", "The approval is usually pretty quick."),
    # session 10, train_es..ev
    ("own_it", "caller", "The scheduler swore up and down it wouldn't happen again. Again."),
    ("own_it", "caller", "She said she'd rebill it, and today I get a collections letter."),
    ("own_it", "caller", "I talked to someone Tuesday and Friday. Third time now."),
    (
        "urgent_risk",
        "caller",
        "I bumped my head on the door, I'm on warfarin, and I've been sick twice.",
    ),
    ("orient", "caller", "Wait, what? Is the baby okay?"),
    ("real_timeline", "agent", "I'll have the nurse call you back later."),
    ("real_timeline", "agent", "Let me have the pharmacist look and call you back soon."),
    ("validate_first", "caller", "I'm honestly offended by this letter."),
    # session 10, train_ew..ez
    ("urgent_risk", "caller", "I've thought about just, you know. Being done. Before it gets bad."),
    ("own_it", "caller", "Every time I call I get a recording, and nobody can be bothered."),
    ("own_it", "caller", "I already went through the whole thing with the last person."),
    (
        "own_it",
        "caller",
        "I called back in April about this exact thing, and it's billed wrong again.",
    ),
    ("own_it", "caller", "The hospital says it's you, you said the hospital had to send it."),
    ("own_it", "caller", "The clinic says they faxed it, the vendor says there's no order."),
    ("own_it", "caller", "No order at the lab. Again. I was told it was fixed."),
    ("own_it", "caller", "The auth your people swore they sent? The pharmacy never got it."),
    ("own_it", "caller", "Scheduling gave me imaging, and imaging just gave me this number."),
    (
        "close_the_loop",
        "agent",
        "I'll reopen it, and the slide team will process it as soon as they can.",
    ),
    ("orient", "caller", "I'm just standing still while this thing grows."),
    # session 10, train_fa..fd
    (
        "urgent_risk",
        "caller",
        "My mouth's being funny and my right hand's gone all pins and needles.",
    ),
    ("urgent_risk", "caller", "I'm out of breath, and it's sharp on my side when I breathe in."),
    ("offer_choice", "caller", "It's all too much, the bills and the appointments."),
    # session 10, train_fe..fg
    ("close_the_loop", "agent", "Wound care isn't sent yet, I'll ask the team to get that out."),
    (
        "close_the_loop",
        "agent",
        "I've submitted it for reprocessing, your reference number is R-2258.",
    ),
    ("close_the_loop", "agent", "That's one for the pharmacists. I'll have one of them call you."),
    ("own_it", "caller", "Finally. They transferred me like four times."),
    (
        "own_it",
        "caller",
        "Pre-op sends me to the surgeon's office, and the surgeon's office sends me to you.",
    ),
    # session 10, train_fh..fj
    ("own_it", "caller", "I got married in June. I've told the front desk twice."),
    ("reflect_back", "caller", "I told the last fellow that, and nothing changed."),
    ("explain_the_no", "agent", "It went to an older balance, so there's no refund due."),
    ("close_the_loop", "agent", "Nothing before March. I'll put you on the cancellation list."),
    ("subtext_fear", "caller", "Can I move my appointment to next month?"),
    ("subtext_fear", "caller", "Can I push my biopsy back? I'd rather wait a while."),
    ("subtext_fear", "caller", "I'm booked for the knee replacement, can we push it out?"),
    # session 11, train_fk..fn: a child's wish to die told by a parent; the wish not
    # to wake at the end of a longer clause, or hoped for; anger in an idiom
    ("urgent_risk", "caller", "He told his friend he doesn't want to be alive anymore."),
    (
        "urgent_risk",
        "caller",
        "They'd all be better if I stopped the pills one night and didn't wake up.",
    ),
    ("urgent_risk", "caller", "Some nights I'm hoping I just won't wake up."),
    ("urgent_risk", "caller", "I wish I just wasn't here anymore."),
    ("validate_first", "caller", "I'm fit to be tied, that's the fourth letter this month."),
    # the same promise after the caller was in touch
    (
        "own_it",
        "caller",
        "I called Tuesday and the woman said the nurse would call me back. Nobody did.",
    ),
    ("own_it", "caller", "Last time they said they'd fix the bill, and it's still wrong."),
    # urgent_risk misses read in the training sets: a seizure told with "she's had a
    # fever all day" (ongoing, not a relative's history), "chest's tight", pills saved
    # "just in case" (no reason given is the worry), "enough pills saved up"
    (
        "urgent_risk",
        "caller",
        "My son's had a fever all day and now he's jerking and his eyes rolled back.",
    ),
    ("urgent_risk", "caller", "Chest's tight again, and my left arm aches."),
    (
        "urgent_risk",
        "caller",
        "Since Dad died she says she's done. She's been saving up her pills, just in case.",
    ),
    ("urgent_risk", "caller", "I've got enough pills saved up, I'll take care of it myself."),
    # session 11, train_fo..fr
    (
        "urgent_risk",
        "caller",
        "His needle site is bleeding again, it's soaking right through the gauze.",
    ),
    (
        "urgent_risk",
        "caller",
        "I've got enough put aside now. I don't see much reason to keep going.",
    ),
    ("validate_first", "caller", "Who the hell cancelled my appointment without calling me?"),
    ("reflect_back", "caller", "You are not listen to me, I said the morning."),
    ("own_it", "caller", "This is the third person today and nobody knows anything."),
    ("own_it", "caller", "I've talked to the pharmacy, to billing, to the front desk. Nothing."),
    ("explain_the_no", "agent", "Sorry, we can't put him back on the Tuesday schedule."),
    ("subtext_cost", "caller", "If I take half, the bottle would last a lot longer."),
    ("subtext_fear", "caller", "I want to ask about stopping my dialysis."),
    ("urgent_risk", "caller", "I'm scared he won't wake up, he took all his pills."),
    ("urgent_risk", "caller", "I think I took my heart pills twice this morning."),
    ("close_the_loop", "agent", "I'll resend it, and the pharmacy should reach out to you."),
    ("orient", "caller", "The doctor said the clot is threatening his lung."),
    ("urgent_risk", "caller", "My husband just passed out in the kitchen."),
    ("urgent_risk", "caller", "She fainted at the dentist and she still isn't responding."),
    ("urgent_risk", "caller", "He hit his head and he's not confused, but he keeps throwing up."),
    (
        "validate_first",
        "caller",
        "You cancelled it the night before by voicemail. It's a total shambles.",
    ),
    ("own_it", "caller", "I've rung twice already asking for these reminder texts to stop."),
    (
        "subtext_cost",
        "caller",
        "Could I just take it once a day? Honestly it goes a lot further that way.",
    ),
    ("explain_the_no", "agent", "So no, we can't swap it for blood work, she needs the scan."),
    ("orient", "caller", "It was scary at first and I'm still scared, what if it comes back?"),
    ("urgent_risk", "caller", "I've had chest pain since last Monday and it's getting worse."),
    (
        "subtext_cost",
        "caller",
        "Since I lost my job he's going lighter on his shots so the pens last.",
    ),
    (
        "subtext_cost",
        "caller",
        "I've been skipping the after-dinner checks, the strips cost too much.",
    ),
    ("own_it", "caller", "I called last week, and the week before, and the calls keep coming."),
    ("validate_first", "caller", "I'm livid, the airline lost my bag with all my insulin in it."),
    ("orient", "caller", "I'm losing my mind waiting for the biopsy results."),
    ("urgent_risk", "caller", "His breathing is rattling and I can't wake him up."),
    (
        "close_the_loop",
        "agent",
        "The card brings it down to around ten. The pharmacy will give you a call.",
    ),
    ("subtext_fear", "caller", "Forget it. Can't we just skip it until my physical next year?"),
    (
        "urgent_risk",
        "caller",
        "I won't be needing them. Took my cat over to my sister's, wrote out who gets the truck.",
    ),
    (
        "urgent_risk",
        "caller",
        "Sorry, my meter said forty-one a minute ago and my hands are shaky.",
    ),
    ("explain_the_no", "agent", "They were custom-ordered, so we can't return them for a refund."),
    ("subtext_fear", "caller", "Can you cancel my mammogram? I just can't face it."),
    ("validate_first", "caller", "I'm furious with the billing team, this is the third statement."),
    (
        "subtext_fear",
        "caller",
        "My biopsy is scheduled for Monday, can I move it? Maybe to after the first of the year?",
    ),
    (
        "own_it",
        "caller",
        "Four months ago I called, you said you'd rebill it. Today I get a collections letter.",
    ),
    ("urgent_risk", "caller", "Some days I figure I'll swallow all of my pills and be done."),
    ("urgent_risk", "caller", "Her chemo was last week and she's running about 101 since noon."),
    ("abuse", "caller", "I know your truck, I see it out back every night."),
    (
        "urgent_risk",
        "caller",
        "Her throat is closing up again, it's worse than her last reaction.",
    ),
    (
        "own_it",
        "caller",
        "Billing said it was the lab's problem, the lab said it was yours, and nobody fixed it.",
    ),
    ("own_it", "caller", "I've been waiting since 8 this morning for a callback from the nurse."),
    (
        "close_the_loop",
        "agent",
        "You're out of refills. I'll send it to Dr. Ruiz and somebody will get back to you soon.",
    ),
    (
        "close_the_loop",
        "agent",
        "I'll send it over to Dr. Lowe and she'll sign it whenever she gets a chance.",
    ),
    ("explain_the_no", "agent", "Dr. Patel doesn't operate on Fridays."),
    (
        "urgent_risk",
        "caller",
        "I sat with her pills last night and thought I could swallow them and it'd all be over.",
    ),
    (
        "urgent_risk",
        "caller",
        "I used... the inhaler like... eight times today... it's not really... helping.",
    ),
    (
        "urgent_risk",
        "caller",
        "My wisdom tooth came out Monday and the swelling's moving down to my neck.",
    ),
    ("own_it", "caller", "They told me to call back four different times and nobody fixed it."),
    (
        "urgent_risk",
        "caller",
        "Since this morning there's a gray curtain coming down over my right eye.",
    ),
    (
        "subtext_cost",
        "caller",
        "Do I have to test six times every day? The strips cost a dollar each after the first box.",
    ),
    ("own_it", "caller", "I called the pharmacy first and they said to call you."),
    ("subtext_fear", "caller", "Could we push the hospice visit to next month? Dad isn't ready."),
    (
        "subtext_cost",
        "caller",
        "They gave me azithromycin. Can I take half and give my sister the other half? I'm broke.",
    ),
    ("explain_the_no", "agent", "I can't cancel it unless the account holder calls."),
    ("explain_the_no", "agent", "So Monday isn't going to happen, the procedure's off."),
    ("orient", "caller", "They said there's a spot on my kidney. What's a spot mean, anyway?"),
    (
        "orient",
        "caller",
        "Nobody's told me a thing about the scan, I'd like to know what I'm dealing with.",
    ),
    ("subtext_fear", "caller", "I'd like to cancel the rest of my treatments, please."),
    ("explain_the_no", "agent", "I'm sorry, the plan denied the formulary exception."),
    (
        "urgent_risk",
        "caller",
        "I mixed up the pill box and my heart pills are all doubled, and now I'm so dizzy.",
    ),
    ("urgent_risk", "caller", "Honestly it would be easier to just not be here anymore."),
    ("urgent_risk", "caller", "I keep cutting my arms when it gets bad at night."),
    ("orient", "caller", "I'm afraid to open the letter with my biopsy results."),
    ("own_it", "caller", "I left two messages on Monday, then nothing."),
    ("orient", "caller", "I was nervous, but it's okay. I'm still worried about the results."),
    (
        "subtext_fear",
        "caller",
        "She has the heart ultrasound Friday. Can we just cancel that one?",
    ),
    (
        "subtext_fear",
        "caller",
        "I'm supposed to see Dr. Lin on Monday. Do I really have to come in?",
    ),
    ("subtext_fear", "caller", "Could we push the retina pictures out to spring sometime?"),
    (
        "subtext_cost",
        "caller",
        "We got the oxygen bill. Does she really have to be on it all the time?",
    ),
    ("urgent_risk", "caller", "Since this morning I can't see anything out of the left side."),
    ("orient", "caller", "I'm so scared. What if it's cancer?"),
    ("validate_first", "caller", "Who the hell cancelled my surgery without telling me?"),
    ("orient", "caller", "Nobody's told me what they're looking for on this scan."),
    ("subtext_fear", "caller", "Do I really need the biopsy?"),
    ("own_it", "caller", "The clinic said to call the lab, and the lab says they never got it."),
    ("orient", "caller", "I'm worried about what the scan will show."),
    ("offer_choice", "caller", "This is too much, I can't keep track of all these appointments."),
    ("own_it", "caller", "I left two messages last week and nobody ever called me back."),
    ("subtext_exhausted", "caller", "How many more sessions do I have left? I'm worn out."),
    ("urgent_risk", "caller", "She ate shrimp and her face swelled up, she's wheezing."),
    ("close_the_loop", "agent", "The driver will sort it out and he'll call you."),
    ("urgent_risk", "caller", "He took like half a bottle of Tylenol about an hour ago."),
    (
        "urgent_risk",
        "caller",
        "I'm 30 weeks, is it normal to get cramps every five minutes since lunch?",
    ),
    ("urgent_risk", "caller", "I'm 32 weeks pregnant and there's watery stuff in my underwear."),
    ("orient", "caller", "He gets scared before each scan, and honestly I'm scared too."),
    ("validate_first", "caller", "This is insane. Three weeks and nobody has called me back."),
    ("close_the_loop", "agent", "I'll let her know, and she'll call you back about it."),
]


@pytest.mark.parametrize(("kind", "speaker", "text"), QUIET)
def test_no_card_where_the_writer_wants_none(kind: str, speaker: str, text: str) -> None:
    assert kind not in playbook_kinds(text, speaker)


@pytest.mark.parametrize(("kind", "speaker", "text"), STILL_RAISES)
def test_the_card_still_comes_beside_the_guard(kind: str, speaker: str, text: str) -> None:
    assert kind in playbook_kinds(text, speaker)
