"""urgent_risk described, not named, and its look-alikes.

Callers (often caregivers) describe an emergency in lay words, mid-turn, while asking
about something else: a hand that can't hold a cup, stools black like tar on a blood
thinner, a relative they can't get to answer, a calf that is hot and swollen with
breathlessness, a squeeze that went down the arm, an inhaler that does nothing, a
fever on chemo. Self-harm is hinted: things given away, "won't have to deal with me
much longer", "they'd be fine without me", "no point in any of it", "thought about
taking the whole bottle". From unseen writers: a tongue or lips swelling beside a
new pill or a tight throat, pads soaked by the hour or clots like a golf ball, a
button battery missing near a toddler, a neck that won't move with a fever (in
Celsius too), sparkly spots in the third trimester or after a birth.

The look-alikes must stay quiet: negations, a relative's old event, a form that asked
about a symptom, hypotheticals, chronic clinic talk (breathless on effort, an ER story
that is over), decluttering, a trip the family will manage without the caller.

Sentences are written for the categories, not copied from any call script. The
playbook alone is tested (no learned layer), so a retrained model cannot hide a gap.
"""

from __future__ import annotations

import pytest

from cues.engine import CueEngine
from transcription.types import Utterance


def raised(text: str) -> bool:
    engine = CueEngine("unit", learned=False)
    engine.feed(Utterance("unit", "caller", 0, text, 0.0, 2.0, True))
    return any(c.kind == "urgent_risk" for c in engine.cues)


RAISES: list[str] = [
    # from train_il: retractions in lay words; the end said lightly; pills piled up
    "Every breath his tummy caves in under the ribs, is that normal with the croup?",
    "if they deny it again I'll just take everything in my medicine cabinet, lol",
    "I've been keeping them back. Soon I won't be anyone's burden any more.",
    # from train_ih: a count of a sleep aid no label allows, told in passing
    "I couldn't sleep so I popped about nine of the Advil PMs, and I feel awful.",
    # from train_ie: the caller's own ending, said as a preference
    "If the scan's bad I would sooner end it myself than do all that again.",
    # from train_ic: speech going wrong, said in lay words
    "Sorry, my words are coming out all crooked this afternoon.",
    # from train_ia: the wish said as a thought about the family, beside a gun
    "I keep sitting in the truck with the shotgun, thinking it'd be easier on everyone.",
    "I keep thinking everybody'd be better off. I've got the bottle right here.",
    "quick question, I think she got into her grandma's pill organizer, a couple are missing",
    # from train_ai..al: "go back in" is no past time; "not going away like they usually
    # do" is not the usual; a full breath; a chest that really hurts, crushing
    "it's probably nothing, a tightness in my chest since breakfast, I hate to go back in and fuss",
    "panic attacks, I know, but my chest really hurts, crushing, "
    "not going away like they usually do",
    "I can't get a full breath and my lips look a bit blue",
    # from train_aa..ad (run unseen first): a key fob's battery gone near a toddler,
    # drinking stopped then shaking and seeing things, pills kept and counted, can't
    # lie flat for drowning, pills saved for the day "I decide I've had enough"
    "my son's two and the key fob was open on the floor and the battery's gone",
    "I quit drinking Sunday, all at once, and now I'm seeing spiders on the ceiling.",
    "Not sure if I'll still be around by spring. I've a box full of old pills, I count them.",
    "Been in the chair all night, I can't lie down, it feels like I'm drowning.",
    "I've been saving my sleeping pills, in case I decide I've had enough.",
    # from unseen writers (train_w..z), by category: a swelling tongue and a tight
    # throat, pads soaked by the hour, a missing button battery, a neck that won't
    # move with a fever in Celsius, sparkly vision in the third trimester, an inhaler
    # that does nothing with the words not coming out, prized things given to someone
    "sorry if I sound weird, my tongue feels thick since the new pill and my throat is tight",
    "My lips keep puffing up since I started the lisinopril, and it's hard to swallow.",
    "I'm soaking through a pad every hour since this morning, is that normal after a D and C?",
    "there's a clot as big as a golf ball and it's still coming",
    "one of the coin batteries from the remote is missing and he had it in his mouth",
    "She's thirty-nine point two Celsius, she won't turn her head, cries if I touch her neck.",
    "I'm in my third trimester and I keep seeing sparkly spots, with a pounding headache.",
    "I can't, get the words out, I used the inhaler, six times, it's not doing anything",
    "I've been giving my things to my sister, my guitar, my watch, so it's handled.",
    # stroke: a hand that drops things, speech that comes out wrong
    "Can we keep Tuesday? Mom can't hold her tea mug in her right hand since lunch.",
    "he's fine really, just the fork keeps slipping out of his left hand tonight",
    "Her words don't sound right this afternoon, all mushy, and she's very tired.",
    "he couldn't think of the word for fork at dinner and his speech is kind of slurry",
    "one side of her smile looks lower than the other since she woke up",
    # clot: a hot swollen calf with breathlessness
    "Since the flight my calf is swollen and warm, and I'm winded just walking to the car.",
    # heart: a squeeze that travels, with sweat
    "This morning there was a pressure that went down my left arm and I got all sweaty.",
    "it's a heavy squeezing and it runs up into my jaw",
    # breathing: can't get air, rescue inhaler failing, lying flat, lips
    "i can't- i can't get my breath, sorry",
    "His rescue inhaler isn't doing anything and he can hardly talk between breaths.",
    "She sleeps in the armchair now because lying flat she can't get her breath.",
    "I've done four puffs and my lips feel numb and I'm wheezing.",
    # bleeding on a blood thinner
    "He's on Xarelto and his stools have been black and sticky since Sunday.",
    "She's so pale and dizzy, and she threw up something like coffee grounds.",
    # unresponsive, abnormal breathing
    "I can't get her to answer me, she's breathing with this rattling sound.",
    "he took something at the party and i cant wake him up",
    "She's not breathing right, she's unresponsive on the sofa.",
    # fever on chemo
    "Dad finished his chemo infusion Monday and tonight he's running a fever with chills.",
    "She's in the middle of chemo and her temperature is 101.8.",
    # self-harm hinted
    "My son has been giving away his guitar and his games to his friends this week.",
    "Don't worry about the bill, you won't have to deal with me for much longer.",
    "Honestly my kids would be happier without me around.",
    "I just don't see any point in any of it anymore.",
    "I keep thinking about swallowing the whole bottle tonight.",
    "I won't be around much longer, so cancel the follow-up.",
    "i've got enough saved up to do it",
    "Tell them I won't be a burden to anyone for much longer.",
    "Honestly there's no point going on like this.",
    "She left a goodbye note on the kitchen table this morning.",
    # more lay descriptions
    "He's dragging his right foot since lunch and seems off.",
    "All of a sudden she can't see out of one eye.",
    "the baby's nostrils are flaring and he's breathing so hard",
    "She can't finish a sentence without stopping for air.",
    "I just found him on the bathroom floor and he's gray.",
    "He took a handful of his sleeping pills with half a bottle of vodka.",
    "She has a fever of 103 and a stiff neck and the light hurts her eyes.",
    # pregnancy and newborn, allergy
    "I'm thirty-six weeks and I've barely felt the baby move since yesterday.",
    "I'm 33 weeks pregnant and my face and hands are really puffy today, with a headache.",
    "She's nine days old and she's so hard to wake for feeds.",
    "I got stung by a wasp and my eyes are swelling shut.",
    "Since I started the new antibiotic it's hard to swallow and my tongue feels big.",
    # paraphrases of each category
    "Anyway, his arm's just hanging there on the left and he's not himself.",
    "my husband's talking like his mouth is full of marbles since dinner",
    "She keeps dropping her spoon and half her face looks like it melted.",
    "His speech is all messed up and he can't move his right leg.",
    "It feels like a band squeezing my chest and my jaw aches.",
    "I'm sweating bullets and there's this ache down my left arm, probably nothing.",
    "She's wheezing and working so hard to breathe her belly is sucking in.",
    "he can barely get any air in and he's using his inhaler every ten minutes",
    "His poop was all black this morning and he takes warfarin.",
    "She threw up blood twice and she's on Eliquis.",
    "My brother took a bunch of his pills and now he's just lying there not answering.",
    "I found her passed out next to an empty bottle of vodka and pills.",
    "I can't get my mom to wake up properly, she's mumbling and grey.",
    "Her temp is 101 and she had chemo last Tuesday.",
    "My leg is swollen and red behind the knee and I'm short of breath since the flight.",
    "my baby is two weeks old and he's burning up",
    "I'm 35 weeks and I have the worst headache and my vision is blurry.",
    "He said everyone would be better off if he just disappeared.",
    "I've been giving my stuff away to my friends, I won't need it.",
    "I just want to go to sleep and not wake up.",
    "I keep thinking about ending it.",
    "She's been writing goodbye letters to her friends.",
    "I don't think I'll be here for Christmas, honestly.",
    "There's no reason for me to keep going.",
    "I've been hoarding my oxycodone for a while now.",
    # speech-to-text style: lower case, no punctuation, no apostrophes
    "shes been off since lunch her words dont come out right and she cant hold her cup",
    "im on eliquis and my poop has been black like tar and im real dizzy",
    "i cant get my dad to wake up hes snoring funny and gurgling",
    "honestly theyd all be better off without me",
]

QUIET: list[str] = [
    "Relax, once I move to the Eastside clinic I won't be your problem any more.",
    # a past struggle described in a bill dispute (train_ib)
    "Eleven thousand dollars, for a newborn who couldn't breathe on her own?",
    # a stuffed nose (train_ij)
    "Hay fever's got my nose blocked, I can't breathe through it at night but I'm fine.",
    "He's taken maybe six Tylenol over the past week for his knee.",
    # an ending that is a call's, a relationship's or a course of pills
    "Okay, I'll end it there, thanks so much for your help today.",
    "I'd rather end the antibiotics early, they wreck my stomach.",
    # a plan easier for the family; a death under anaesthesia told as why surgery frightens
    "I was thinking it'd be easier on everybody if we did both visits Saturday.",
    "My uncle went under for an operation and did not wake up, so she's nervous.",
    # negation and forms that asked
    "No chest pain, no trouble breathing, I just need my refill.",
    "The intake form asked about chest pain and shortness of breath, I said no.",
    # a relative's old event
    "My dad had a stroke in 2015 and his speech was slurred for a while after.",
    # hypotheticals
    "If she gets a fever during chemo, what should we do?",
    "What should I do if my inhaler isn't working?",
    # chronic clinic talk
    "I get short of breath when I walk up the hill, it's been like that for years.",
    "When I try to exercise I can't catch my breath, so I stopped going to the gym.",
    "Every time I start walking I get this pressure in my chest.",
    "I had chest pains when I made the appointment, but they stopped after two days "
    "and I haven't had any since.",
    "Last year I had horrible chest pain and went to the emergency room, they put in a stent.",
    "The pain from my pinched nerve goes down my arm when I sit too long.",
    "My inhaler doesn't work as well as it used to when I jog.",
    "My arthritis is bad, I can't hold a pen for long.",
    "Sorry, I'm so nervous my words aren't coming out right.",
    "My stools have been black since I started the iron pills.",
    "Could the new pills be causing my chest pain?",
    "I'm afraid of choking on the big pills, can I get a liquid?",
    # doses and puffs
    "I take two puffs twice a day and it works fine.",
    # self-harm look-alikes
    "We're giving away all her baby clothes before the move.",
    "The team will be fine without me for a week while I'm on vacation.",
    "I won't be around much longer today, I have to leave for work at noon.",
    "I don't see the point in keeping the appointment, the rash is gone.",
    "I'm thinking about taking all of my pills at night instead of the morning.",
    "It took a lot for me to get back to feeling like myself.",
    "I've been a bit down since my dog died, but I'm okay.",
    # unresponsive look-alikes
    "I can't get him to answer his phone, can you try his cell?",
    "He passed out for a second at the blood draw, just for a few seconds, he's fine.",
    "Can I take my sleeping pills with a glass of wine?",
    "I have a stiff neck from sleeping on it wrong, no fever though.",
    "I don't want to be a burden on my daughter, so can I take a cab?",
    "I can't see out of one eye without my new glasses, can I order contacts?",
    "That is a face I do not want to wake up to in the morning.",
    "I wish I were still on the beach.",
    "Anytime I have chest pain on a walk I take the little pill and it goes away.",
    "I opened the bill at the kitchen table and I couldn't breathe, it's so much money.",
    "The letter says her lead level is high. Is she poisoned?",
    "My leg is red and swollen from the bug bite, and my chest cold is better.",
    "I carry heavy boxes at work and the pain shoots down my arm.",
    "My lips are still numb from the dentist but I can breathe fine.",
    "My inhaler isn't working, the counter's stuck, can I get a new one?",
    "My stools are black from the iron pills and I feel a bit weak.",
    "I can't get my insurance to respond to anything.",
    "I can't get him to answer my questions about the bill.",
    "The kids will be fine without me for the afternoon, my sister's there.",
    "I won't be here to see the nurse on Monday, can she call instead?",
    "The ankle really took all of the weight of the fall.",
    "One of my uncles committed suicide, it's in my family history form.",
    "He slipped climbing the fence and got a deep cut on his thigh.",
    "I'm 30 weeks, will they take my temperature at the visit?",
    "I'm 28 weeks and the baby is quiet in the mornings, kicks all evening.",
    "The new pills are huge, it's hard to swallow them, is there a smaller one?",
    "My jaw aches from the dentist and I'm sweating in this heat.",
    "My left shoulder hurts from the gym, and I had a little chest cold last week.",
    "I can barely breathe through my nose with this cold.",
    "My son threw up blood once from a nosebleed he swallowed, just a little.",
    "I'm saving my pills for the trip so I don't run out.",
    "I'm thinking about ending it with my boyfriend, sorry, not your problem.",
    "I don't think I'll be here for Christmas, we're visiting my sister in Ohio.",
    "His arm is hanging in a sling since the fracture.",
    "We've been saving up my mom's meds list for the appointment.",
    "There's no reason to keep going to physical therapy if it's healed.",
    "My kids are happier if I just let them sleep in.",
    "Squeezing the ball helps my hand, the chest exercises too.",
    # general sadness, hypotheticals, history, doses, idioms
    "Honestly what's the point of calling, nobody ever calls back.",
    "I've been really sad since my husband passed, the house is so quiet.",
    "I feel hopeless about this bill, I don't see how I'll pay it.",
    "I'm so tired of being sick and tired, you know?",
    "I don't see the point of the follow-up if the results were normal.",
    "My wife would be fine without me for one night if I do the sleep study.",
    "I just want to sleep for a week after this move.",
    "Nobody would even notice if I skipped the appointment.",
    "He's giving away free samples at the pharmacy counter.",
    "If he gets a fever after chemo what temperature is too high?",
    "My dad had chest pain and sweating in 2019 and got a stent.",
    "I don't have any chest pain or trouble breathing, just a cough.",
    "The nurse asked if I had chest pain and I said no.",
    "She took two of her pills this morning like always.",
    "I took a bunch of photos of the rash for the doctor.",
    "The new watch batteries are in, I'll drop the remote off tomorrow.",
    "What should I do if his lips swell up after the new pill?",
    "My throat's a bit tight, I think I'm getting a cold, and I've got a cough.",
    "I went through a lot of pads this week, it's just a heavy period like always.",
    "We're moving, so I've been giving my stuff to my sister.",
    "My neck won't turn, I slept on it wrong, no fever though.",
    "He had a whole bottle a bit ago and his diaper was wet an hour ago.",
    "Honestly I'm terrified I won't wake up from the anesthesia.",
    "I quit drinking years ago, the shakes were awful back then.",
    "I have a box full of old pills, how do I get rid of them?",
    "Back in March I had chest pain, they did a stent and it's been fine.",
    "Honestly they'd be better off with a different pharmacy for her.",
]


@pytest.mark.parametrize("text", RAISES)
def test_described_emergency_raises(text: str) -> None:
    assert raised(text)


@pytest.mark.parametrize("text", QUIET)
def test_look_alike_stays_quiet(text: str) -> None:
    assert not raised(text)
