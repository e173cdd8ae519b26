"""Photos of the work (现场照片) for the demo's resolutions: drawn with Pillow (a road mended, a spot cleared),
then checked and re-encoded by casework.attachments exactly as a cadre's upload is."""

import io
import random

from PIL import Image, ImageDraw
from werkzeug.datastructures import FileStorage

from .. import attachments
from ..attachments import Upload

SIZE = (800, 600)
SCENES = {"道路": "road", "环境卫生": "street"}  # the categories whose resolutions the demo photographs


class Album:
    """A few photos per scene, drawn once per load and chosen from for each resolution (stored once each)."""

    def __init__(self, rng: random.Random, per_scene: int = 3):
        self.rng = rng
        self.photos = {
            scene: [_checked(_draw(scene, rng), f"{scene}-{i + 1}.jpg") for i in range(per_scene)]
            for scene in set(SCENES.values())
        }

    def for_category(self, category: str) -> list[Upload]:
        """One or two photos of the category's scene (a road for anything else the settings require)."""
        pool = self.photos[SCENES.get(category, "road")]
        return self.rng.sample(pool, self.rng.choice((1, 1, 2)))


def _checked(data: bytes, name: str) -> Upload:
    return attachments.photos([FileStorage(io.BytesIO(data), filename=name)])[0]


def _draw(scene: str, rng: random.Random) -> bytes:
    """A plain picture: sky, ground, and the road's fresh patch or the street's bins, placed at random."""
    image = Image.new("RGB", SIZE, (150 + rng.randint(0, 60), 190 + rng.randint(0, 40), 230))
    draw = ImageDraw.Draw(image)
    horizon = rng.randint(200, 280)
    draw.rectangle((0, horizon, SIZE[0], SIZE[1]), fill=(120, 150, 90))
    draw.polygon([(300, horizon), (500, horizon), (760, 600), (40, 600)], fill=(95, 95, 100))
    if scene == "road":
        x, y = rng.randint(250, 450), rng.randint(420, 500)
        draw.ellipse((x, y, x + 160, y + 60), fill=(40, 40, 45))  # the new asphalt
        for step in range(5):
            draw.rectangle((395, horizon + 20 + step * 70, 405, horizon + 55 + step * 70), fill="white")
    else:
        for i in range(rng.randint(2, 4)):
            x = 60 + i * 120 + rng.randint(0, 30)
            draw.rectangle((x, 430, x + 70, 540), fill=rng.choice(((30, 120, 60), (40, 80, 160), (90, 90, 90))))
            draw.rectangle((x - 5, 420, x + 75, 432), fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()
