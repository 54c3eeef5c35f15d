"""Sleep-EDF Expanded (PhysioNet ``sleep-edfx`` 1.0.0): sleep staging in 30-second epochs.

``DS-SLEEPEDF-20``: the sleep-cassette recordings of subjects 0-19 (39 nights: subject 13
has one), the "Sleep-EDF-20" subset on which DeepSleepNet (Supratak et al. 2017) and later
sleep-staging papers report. Each night is a pair of files: the polysomnogram
``SC4<ss><n>E0-PSG.edf`` (EEG Fpz-Cz and Pz-Oz at 100 Hz, EOG, EMG, ...) and the hypnogram
``SC4<ss><n>E?-Hypnogram.edf`` (EDF+ annotations scored in 30 s steps by the
Rechtschaffen & Kales manual). Each file is declared with the SHA1 that MNE-Python publishes
for it (``mne==1.13.2``, ``mne/datasets/sleep_physionet/SHA1SUMS``; the same values are in
``mne/datasets/sleep_physionet/age_records.csv``, the table that
``mne.datasets.sleep_physionet.age.fetch_data`` downloads from).

The prepare step (:func:`prepare_sleep_edf`) pairs each PSG with its hypnogram by the first
six characters of the name (``SC4001``), reads both with edfio, and cuts the two EEG
channels into 30 s epochs labelled with AASM stages: W, N1, N2, N3 (R&K stages 3 and 4
merged) and REM. Epochs scored "Sleep stage ?" or "Movement time" are left out (counted in
``info.json``). As in DeepSleepNet and MNE's sleep tutorial, only 30 minutes of wake before
the first and after the last sleep epoch are kept (the cassette recordings run for about a
day). The result is an array folder: ``X.npy`` (epochs x 2 channels x 3000 samples, float32,
uV), ``y.npy``, ``metadata.csv`` (``subject_id`` e.g. ``SC400``, ``night``, ``recording``,
``epoch_start_s``) and ``info.json`` (``sampling_freq``, ``ch_names``, ``class_names``).

Example:
    >>> from fmbench_neuro.public_sleep import sleep_edf_datasets
    >>> spec = next(sleep_edf_datasets())
    >>> spec.name, len(spec.sources), spec.sources[0].hash[:10]
    ('DS-SLEEPEDF-20', 78, 'sha1:adabd')
"""

from __future__ import annotations

import collections
import datetime
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from fmbench.errors import DataError
from fmbench.plugin_system.specs import DatasetSpec, Source

__all__ = [
    "ANNOTATION_STAGES",
    "EPOCH_S",
    "SLEEP_EDF_20_SHA1",
    "SLEEP_EDF_BASE_URL",
    "SLEEP_EDF_CHANNELS",
    "SLEEP_STAGES",
    "WAKE_MARGIN_S",
    "plan_sleep_epochs",
    "prepare_sleep_edf",
    "sleep_edf_datasets",
    "sleep_edf_sources",
]

#: Where PhysioNet serves the sleep-cassette recordings of Sleep-EDF Expanded 1.0.0.
SLEEP_EDF_BASE_URL = "https://physionet.org/files/sleep-edfx/1.0.0/sleep-cassette/"
#: The older address MNE-Python downloads the same files from (tried second).
SLEEP_EDF_MNE_URL = "https://physionet.org/physiobank/database/sleep-edfx/sleep-cassette/"

#: The stages epochs are labelled with (AASM), in label order.
SLEEP_STAGES = ("W", "N1", "N2", "N3", "REM")
#: Hypnogram annotation -> AASM stage (R&K stages 3 and 4 are N3). Others are left out.
ANNOTATION_STAGES = {
    "Sleep stage W": "W",
    "Sleep stage 1": "N1",
    "Sleep stage 2": "N2",
    "Sleep stage 3": "N3",
    "Sleep stage 4": "N3",
    "Sleep stage R": "REM",
}
#: Epoch length in seconds (the scoring step of the hypnograms).
EPOCH_S = 30.0
#: Wake kept before the first and after the last sleep epoch, in seconds.
WAKE_MARGIN_S = 30 * 60.0
#: The EEG channels kept, as labelled in the PSG files (names in info.json drop "EEG ").
SLEEP_EDF_CHANNELS = ("EEG Fpz-Cz", "EEG Pz-Oz")

# SHA1 of each file of subjects 0-19, quoted from mne==1.13.2,
# mne/datasets/sleep_physionet/SHA1SUMS (identical to the "sha" column of
# mne/datasets/sleep_physionet/age_records.csv in the same wheel).
#: SHA1 of the 78 files of Sleep-EDF-20, as MNE-Python publishes them.
SLEEP_EDF_20_SHA1: dict[str, str] = {
    "SC4001E0-PSG.edf": "adabd3b01fc7bb75c523a974f38ee3ae4e57b40f",
    "SC4001EC-Hypnogram.edf": "21c998eadc8b1e3ea6727d3585186b8f76e7e70b",
    "SC4002E0-PSG.edf": "c6b6d7a8605cc7e7602b6028ee77f6fbf5f7581d",
    "SC4002EC-Hypnogram.edf": "386230188a3552b1fc90bba0fb7476ceaca174b6",
    "SC4011E0-PSG.edf": "4d17451f7847355bcab17584de05e7e1df58c660",
    "SC4011EH-Hypnogram.edf": "d582a3cbe2db481a362af890bc5a2f5ca7c878dc",
    "SC4012E0-PSG.edf": "a47d525f5147904b6890231e2ad338359c7ab94c",
    "SC4012EC-Hypnogram.edf": "fa99f60d7f54617cdd1128aff4f21c4daed763c7",
    "SC4021E0-PSG.edf": "8b135afa7fb93bb5f1998fda50355944777c245e",
    "SC4021EH-Hypnogram.edf": "91043cfe46695088b17b6a02937b25efd674c3fb",
    "SC4022E0-PSG.edf": "d739e142b3b328c71b4752149901805dcd6d7e19",
    "SC4022EJ-Hypnogram.edf": "0c46a03699dd00e8f92a7edff99ebc4642cb3d48",
    "SC4031E0-PSG.edf": "85e58dc1e3303537dade8c5827ab58328239c384",
    "SC4031EC-Hypnogram.edf": "6363d8b0fdc48cf396c9abf054bb4a9696d38bdb",
    "SC4032E0-PSG.edf": "43963d300642b3aa840e8c468f321b8162601772",
    "SC4032EP-Hypnogram.edf": "7925514bc8d2ef3f1103130f08f7b3afd2136b88",
    "SC4041E0-PSG.edf": "04d2b88d25f2ae4a65ba44cd9145bd12800a0e20",
    "SC4041EC-Hypnogram.edf": "f148821669bd3588187b3b430bd79adf569f86d1",
    "SC4042E0-PSG.edf": "76253d964d7797540ffd791e6e136023ed67a485",
    "SC4042EC-Hypnogram.edf": "9873df429f971f8a4b720a454f6c0472b8a25ebb",
    "SC4051E0-PSG.edf": "ea073451b65ce8a6f1a02a8cc2b89d1a162ca0ae",
    "SC4051EC-Hypnogram.edf": "4159ef8a3e119d6dcc1bede806f6fbc017b27a0f",
    "SC4052E0-PSG.edf": "5a2efbd21be9b745fd534394eb2503caca7dc53f",
    "SC4052EC-Hypnogram.edf": "0e96482d44762df4da65dc4fdb970b342264d22a",
    "SC4061E0-PSG.edf": "1736736e585807c14f1ae8bc87a94cae222c5170",
    "SC4061EC-Hypnogram.edf": "4bf99622c67c281b25ceccd35e7050328a2946e8",
    "SC4062E0-PSG.edf": "763c7ac059f1771a0165e5cb351b176afb1cfe15",
    "SC4062EC-Hypnogram.edf": "14f07411cd04d3b4b522d37c129334955287ff5f",
    "SC4071E0-PSG.edf": "1374b34f6139b6ff7e865d8243eef39ba334ef50",
    "SC4071EC-Hypnogram.edf": "608024fd19a140ad233a4680e07c2495a74b69c2",
    "SC4072E0-PSG.edf": "1c570644243d79396df612fa2b9bc027b24430e4",
    "SC4072EH-Hypnogram.edf": "a8da6c20b9b48189f05ab537886b59dd141374d2",
    "SC4081E0-PSG.edf": "0e1cc2c4e1da14ab94515e3e7e75e8ad30ec99cb",
    "SC4081EC-Hypnogram.edf": "9ec663ffa5c17afcaca59d7829d77b9165102237",
    "SC4082E0-PSG.edf": "d57d4aa7cbc5045f611a3a3e342b501e086ea426",
    "SC4082EP-Hypnogram.edf": "d43c785dba43063d7baa332671c6bac9c832b5b7",
    "SC4091E0-PSG.edf": "b3502e0bd54683e973182c791aa962b804e79633",
    "SC4091EC-Hypnogram.edf": "7aa63b408c769a4a983a908b6ba41d87dd743c6e",
    "SC4092E0-PSG.edf": "246e35852119b33d197db2f7bcfb1b46a5270a03",
    "SC4092EC-Hypnogram.edf": "9d85766a83231b1c6076cb293367ccc354c57eeb",
    "SC4101E0-PSG.edf": "3ae168ff2c9c0c56f51205fdb10f05a4c6b2064e",
    "SC4101EC-Hypnogram.edf": "60d9c3913881e11b06ad99e9870bd1ca4d93c952",
    "SC4102E0-PSG.edf": "86f307190961eaab0214fdc0213f8fe05812c7a5",
    "SC4102EC-Hypnogram.edf": "8072e2d52bc6c19b45fbd921550e5243bc5a1de7",
    "SC4111E0-PSG.edf": "e490956b4dce01c46ba88a2b847f091bb54ea16e",
    "SC4111EC-Hypnogram.edf": "12db1920e2f6083c8ab1f2c24fe35dfa03715e4a",
    "SC4112E0-PSG.edf": "ca24dc464df61144627588b29d35a85fcc7ac984",
    "SC4112EC-Hypnogram.edf": "54dbc39015b0a445b51189987a00e08cc27d8f0c",
    "SC4121E0-PSG.edf": "33c72025a7a215ea5e255f4254cb0f93b1313369",
    "SC4121EC-Hypnogram.edf": "daa57ece807cb5325c6d1ce059f0e8a8d1c85391",
    "SC4122E0-PSG.edf": "34f5145ab62dcc5a53ba18735519e5bb2b13841a",
    "SC4122EV-Hypnogram.edf": "b7af1a32d8ca15e8185e4c94213ffc18ad7f6e8a",
    "SC4131E0-PSG.edf": "42ff97035aae6dd34ca9437857c48ac6f2ab97df",
    "SC4131EC-Hypnogram.edf": "5beef85170bdbb5cf2eea24a79f0f5c2c3975c4b",
    "SC4141E0-PSG.edf": "83493e1c32d441c9e5ee3de6a024bfb5e7ab9f5f",
    "SC4141EU-Hypnogram.edf": "511d398f22b9b2b304de27c40740a41584ff6af2",
    "SC4142E0-PSG.edf": "63d13828b7ebe0d2ed7f491d2b5520e928b9b55d",
    "SC4142EU-Hypnogram.edf": "6f123e6fdc90a01b83e694d9744a6d27f3c87b25",
    "SC4151E0-PSG.edf": "5a92d49699d4de369d66d9462e91b0dcb3312649",
    "SC4151EC-Hypnogram.edf": "37dcbd339c95322d028b3a5466812697041cc373",
    "SC4152E0-PSG.edf": "778626489bc4fe2c9137d2d361876d97dce97e5e",
    "SC4152EC-Hypnogram.edf": "294cdc47cd3d165031f7041c17f18dd013d216cb",
    "SC4161E0-PSG.edf": "e56ff3aa366fe9a04a0fdfdd4cd862e77e8ac807",
    "SC4161EC-Hypnogram.edf": "56711b1bfed292032491f5cce57494629286a131",
    "SC4162E0-PSG.edf": "722692f9940f3a1bccb9b4488c4477edf7fb128f",
    "SC4162EC-Hypnogram.edf": "c85647fb4bc1f382fe46bf9aaf579dc483115885",
    "SC4171E0-PSG.edf": "f1a65522cb7d6c71ac47742535a12c88e2019dad",
    "SC4171EU-Hypnogram.edf": "dd257c8d922f08c2c8ca5236c9bf54da887c68e5",
    "SC4172E0-PSG.edf": "572b81bc24c2c9482e6fc7ba9202a7bf253655e1",
    "SC4172EC-Hypnogram.edf": "c9a3b590748d7d6c7ad97c62222bd53d8ebaf630",
    "SC4181E0-PSG.edf": "23674d20572853eb6d988d24378c52123f66500c",
    "SC4181EC-Hypnogram.edf": "51fc3df2df7d4da654f3e18ed1b233d0c60cfa80",
    "SC4182E0-PSG.edf": "83e8cbe882ba863da9fd3c11393c95b6fec5b7a5",
    "SC4182EC-Hypnogram.edf": "43c487955edddb4ee2f60193a097c68c25c5dd4d",
    "SC4191E0-PSG.edf": "d6da621dbb20dec3494a38c7d2a0363793ac5ebe",
    "SC4191EP-Hypnogram.edf": "defc7b9368c2d3c4ab4a294757843825a83cdb5d",
    "SC4192E0-PSG.edf": "941353118732321d0246a1d58d72e903bd2f0d8f",
    "SC4192EV-Hypnogram.edf": "97b91b3067c5ecde766042fc2cff9e22f8023371",
}

_NAME = re.compile(r"^(SC4(\d{2})(\d))E.-(PSG|Hypnogram)\.edf$")


def sleep_edf_sources(
    files: Mapping[str, str], base_url: str = SLEEP_EDF_BASE_URL
) -> tuple[Source, ...]:
    """Sources for ``{"SC4001E0-PSG.edf": sha1, ...}`` under ``base_url``."""
    mirror = SLEEP_EDF_MNE_URL if base_url == SLEEP_EDF_BASE_URL else None
    return tuple(
        Source(
            url=base_url + name,
            hash=f"sha1:{digest}",
            mirrors=(mirror + name,) if mirror else (),
        )
        for name, digest in files.items()
    )


def sleep_edf_datasets() -> Iterator[DatasetSpec]:
    """The Sleep-EDF declarations (not downloaded)."""
    yield DatasetSpec(
        name="DS-SLEEPEDF-20",
        data_kind="real",
        summary="Sleep-EDF Expanded sleep cassette, subjects 0-19 (39 nights): 30 s epochs "
        "of EEG Fpz-Cz and Pz-Oz at 100 Hz, W/N1/N2/N3/REM",
        modality="eeg",
        task="classification",
        load="fmbench.data.dataset:load_array_folder",
        sources=sleep_edf_sources(SLEEP_EDF_20_SHA1),
        prepare="fmbench_neuro.public_sleep:prepare_sleep_edf",
        license="ODC-By-1.0 (PhysioNet)",
        citation=(
            "Kemp et al. (2000), Analysis of a sleep-dependent neuronal feedback loop: the "
            "slow-wave microcontinuity of the EEG, IEEE TBME 47(9):1185-1194; Goldberger et "
            "al. (2000), PhysioBank, PhysioToolkit, and PhysioNet, Circulation "
            "101(23):e215-e220"
        ),
        homepage="https://physionet.org/content/sleep-edfx/1.0.0/",
    )


def plan_sleep_epochs(
    annotations: Iterable[tuple[float, float | None, str]],
    *,
    duration_s: float,
    offset_s: float = 0.0,
) -> tuple[list[tuple[float, int]], dict[str, int]]:
    """The 30 s epochs to keep from a hypnogram: ``[(start_s, stage index), ...]``.

    ``annotations`` are ``(onset_s, duration_s, text)`` as edfio gives them; ``offset_s`` is
    the hypnogram's start minus the PSG's start; ``duration_s`` the PSG's length. Epochs of
    unknown stage are counted in the second result, by annotation text. Wake is kept for
    30 minutes before the first and after the last sleep epoch.

    Example:
        >>> hypnogram = [(0, 7200, "Sleep stage W"), (7200, 60, "Sleep stage 1"),
        ...              (7260, 30, "Sleep stage 4"), (7290, 30, "Sleep stage ?"),
        ...              (7320, 3600, "Sleep stage W")]
        >>> epochs, dropped = plan_sleep_epochs(hypnogram, duration_s=10920)
        >>> len(epochs), epochs[60], epochs[62], dropped
        (122, (7200.0, 1), (7260.0, 3), {'Sleep stage ?': 1})
        >>> epochs[0][0], epochs[-1][0]  # 30 min of wake on each side of the sleep epochs
        (5400.0, 9060.0)
    """
    epochs: list[tuple[float, int]] = []
    dropped: collections.Counter[str] = collections.Counter()
    for onset, duration, text in sorted(annotations, key=lambda a: float(a[0])):
        count = int(float(duration or 0.0) / EPOCH_S + 1e-6)
        stage = ANNOTATION_STAGES.get(text.strip())
        if stage is None:
            if count:
                dropped[text.strip()] += count
            continue
        for k in range(count):
            start = float(onset) + offset_s + k * EPOCH_S
            epochs.append((start, SLEEP_STAGES.index(stage)))
    asleep = [start for start, stage in epochs if stage != 0]
    if not asleep:
        raise DataError("the hypnogram scores no sleep epoch (stages 1-4 or R)")
    first, last = min(asleep) - WAKE_MARGIN_S, max(asleep) + EPOCH_S + WAKE_MARGIN_S
    kept = [
        (start, stage)
        for start, stage in epochs
        if start >= max(first, 0.0) and start + EPOCH_S <= min(last, duration_s)
    ]
    return kept, dict(dropped)


def _pairs(raw_dir: Path) -> list[tuple[str, Path, Path]]:
    found: dict[str, dict[str, Path]] = {}
    for path in sorted(raw_dir.glob("SC4*.edf")):
        match = _NAME.match(path.name)
        if match:
            found.setdefault(match.group(1), {})[match.group(4)] = path
    if not found:
        raise DataError(f"{raw_dir}: no Sleep-EDF recordings (SC4<ss><n>E0-PSG.edf)")
    pairs = []
    for recording, files in sorted(found.items()):
        if set(files) != {"PSG", "Hypnogram"}:
            missing = "hypnogram" if "PSG" in files else "PSG"
            raise DataError(
                f"{raw_dir}: recording {recording} has no {missing} file; both are needed "
                "(fetch the dataset again)"
            )
        pairs.append((recording, files["PSG"], files["Hypnogram"]))
    return pairs


def _start(edf: Any) -> datetime.datetime | None:
    """The recording's start date and time; None where the date is anonymised."""
    try:
        return edf.startdatetime
    except Exception:  # edfio's AnonymizedDateError, or an unparsable date
        return None


def _offset_s(psg: Any, hypnogram: Any, name: str) -> float:
    """Seconds from the PSG's start to the hypnogram's start (0 for the published pairs).

    By date and time where both headers give a date; by time of day (within 12 hours)
    where a date is anonymised.
    """
    psg_start, hypnogram_start = _start(psg), _start(hypnogram)
    if psg_start is not None and hypnogram_start is not None:
        return float((hypnogram_start - psg_start).total_seconds())
    try:
        day = datetime.date(2000, 1, 1)
        start = datetime.datetime.combine(day, psg.starttime)
        diff = (datetime.datetime.combine(day, hypnogram.starttime) - start).total_seconds()
    except Exception as exc:
        raise DataError(f"{name}: cannot align the hypnogram with the PSG ({exc})") from None
    half_day = 12 * 3600.0
    if diff > half_day:
        return diff - 2 * half_day
    return diff + 2 * half_day if diff < -half_day else diff


def prepare_sleep_edf(raw_dir: Path, out_dir: Path) -> None:
    """The prepare step of ``DS-SLEEPEDF-20``: PSG + hypnogram pairs -> 30 s epochs."""
    import numpy as np

    from fmbench_neuro.public_common import EpochWriter, channel_microvolts, read_edf_source

    plans = []
    dropped: collections.Counter[str] = collections.Counter()
    for recording, psg_path, hyp_path in _pairs(Path(raw_dir)):
        psg = read_edf_source(psg_path, psg_path.name)
        hypnogram = read_edf_source(hyp_path, hyp_path.name)
        try:
            epochs, unknown = plan_sleep_epochs(
                hypnogram.annotations,
                duration_s=float(psg.duration),
                offset_s=_offset_s(psg, hypnogram, hyp_path.name),
            )
        except DataError as exc:
            raise DataError(f"{hyp_path.name}: {exc}") from None
        dropped.update(unknown)
        plans.append((recording, psg_path, epochs))

    n_samples = round(EPOCH_S * 100.0)  # checked against each file's rate below
    writer = EpochWriter(
        Path(out_dir),
        n_windows=sum(len(epochs) for _, _, epochs in plans),
        window_shape=(len(SLEEP_EDF_CHANNELS), n_samples),
    )
    labels: list[int] = []
    meta: dict[str, list[Any]] = {
        "subject_id": [],
        "night": [],
        "recording": [],
        "epoch_start_s": [],
    }
    for recording, psg_path, epochs in plans:
        psg = read_edf_source(psg_path, psg_path.name)
        channels = []
        for label in SLEEP_EDF_CHANNELS:
            data, rate = channel_microvolts(psg, label, psg_path.name)
            if round(EPOCH_S * rate) != n_samples:
                raise DataError(
                    f"{psg_path.name}: {label} is sampled at {rate:g} Hz; Sleep-EDF EEG is "
                    "at 100 Hz (the file is not the published one)"
                )
            channels.append(data)
        signal = np.stack(channels)
        for start_s, stage in epochs:
            begin = round(start_s * 100.0)
            writer.write(len(labels), signal[:, begin : begin + n_samples])
            labels.append(stage)
            meta["subject_id"].append(recording[:5])
            meta["night"].append(int(recording[5]))
            meta["recording"].append(recording)
            meta["epoch_start_s"].append(start_s)
    counts = collections.Counter(labels)
    writer.close(
        y=labels,
        metadata=meta,
        info={
            "modality": "eeg",
            "task": "classification",
            "n_classes": len(SLEEP_STAGES),
            "class_names": list(SLEEP_STAGES),
            "class_counts": {SLEEP_STAGES[k]: counts.get(k, 0) for k in range(len(SLEEP_STAGES))},
            "sampling_freq": 100.0,
            "ch_names": [c.removeprefix("EEG ") for c in SLEEP_EDF_CHANNELS],
            "epoch_s": EPOCH_S,
            "wake_margin_s": WAKE_MARGIN_S,
            "left_out_epochs": dict(sorted(dropped.items())),
            "unit": "uV",
            "source": "PhysioNet sleep-edfx 1.0.0, sleep cassette (PSG + hypnogram pairs)",
        },
    )
